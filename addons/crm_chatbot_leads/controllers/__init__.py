from . import crm_chatbot_leads
