from . import chatbot_bot
