from . import test_customer_clustering_crm
