from . import prro_cash_operation
from . import prro_reconciliation
