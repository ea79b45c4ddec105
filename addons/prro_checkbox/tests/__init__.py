from . import test_prro_cash_register
