from . import test_chatbot_bot
from . import test_chatbot_telegram_webhook
from . import test_chatbot_viber_webhook
from . import test_chatbot_notifications
from . import test_chatbot_reply
from . import test_chatbot_languages
