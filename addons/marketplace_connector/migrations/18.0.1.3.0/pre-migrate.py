"""18.0.1.3.0: the test/production switch now selects the endpoint.

Before, `prod_environment` was stored and unused and an empty API URL meant the production API. Channels that
were calling production (no URL set) are switched to production, so upgrading does not stop their pushes.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        UPDATE marketplace_channel SET prod_environment = true
         WHERE channel_type IN ('prom', 'rozetka') AND (base_url IS NULL OR base_url = '')
    """)
