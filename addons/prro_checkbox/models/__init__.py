from . import prro_cash_register
