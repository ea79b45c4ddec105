from . import marketplace_channel
from . import marketplace_order
from . import sale_order
from . import stock_picking
