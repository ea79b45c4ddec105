from . import chatbot_conversation
from . import chatbot_message
from . import sale_order
from . import stock_picking
