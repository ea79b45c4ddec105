from . import test_nova_poshta_carrier
