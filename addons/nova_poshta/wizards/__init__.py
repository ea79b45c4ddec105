from . import nova_poshta_scan_sheet
