from . import test_nova_poshta_prro_checkbox
