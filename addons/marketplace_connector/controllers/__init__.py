from . import marketplace_connector
