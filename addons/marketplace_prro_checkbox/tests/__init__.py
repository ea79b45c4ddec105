from . import test_marketplace_prro_checkbox
