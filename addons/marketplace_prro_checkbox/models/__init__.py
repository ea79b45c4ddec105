from . import marketplace_order
