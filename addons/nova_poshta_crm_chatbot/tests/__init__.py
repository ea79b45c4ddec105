from . import test_nova_poshta_crm_chatbot
