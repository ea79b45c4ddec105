from . import test_chatbot_bot
