from . import chatbot_reply
