from . import test_marketplace_sync
from . import test_marketplace_orders
