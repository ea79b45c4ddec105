from . import prro_cash_register
from . import prro_shift
from . import prro_receipt
from . import account_journal
from . import account_move
from . import product_template
from . import sale_order
