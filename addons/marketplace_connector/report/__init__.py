from . import marketplace_pnl_report
