from . import customer_clustering_run
from . import customer_segment
from . import res_partner
