from . import test_marketplace_sync
from . import test_marketplace_orders
from . import test_marketplace_race
from . import test_marketplace_rates
from . import test_marketplace_bas
from . import test_marketplace_feed
from . import test_marketplace_pnl
from . import test_marketplace_delivered
