from . import crm_lead
from . import customer_clustering_run
