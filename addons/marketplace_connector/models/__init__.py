from . import marketplace_channel
from . import marketplace_offer
from . import marketplace_order
from . import marketplace_log
from . import sale_order
from . import stock
from . import marketplace_feed
from . import marketplace_channel_bas
