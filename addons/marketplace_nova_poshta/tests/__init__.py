from . import test_marketplace_nova_poshta
