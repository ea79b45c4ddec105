from . import test_prro_cash_register
from . import test_prro_receipt
from . import test_prro_shift
from . import test_prro_concurrency
from . import test_prro_reconciliation
