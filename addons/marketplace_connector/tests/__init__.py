from . import test_marketplace_channel
