from . import crm_lead
from . import delivery_carrier
from . import nova_poshta_city
from . import nova_poshta_street
from . import res_partner
from . import sale_order
from . import stock_picking
from . import stock_picking_tracking
