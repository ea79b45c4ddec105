from . import delivery_carrier
from . import nova_poshta_city
