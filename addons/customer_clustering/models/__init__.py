from . import customer_segment
from . import customer_clustering_run
from . import res_partner
from . import sale_order
