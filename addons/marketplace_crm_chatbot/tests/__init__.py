from . import test_marketplace_crm_chatbot
