.PHONY: test run lint i18n

test:   ## install requirements, run the pure-Python tier and (when Odoo is importable) the Odoo tier
	bash scripts/test.sh

run:    ## install the five modules with demo data into a local database and serve http://127.0.0.1:8069
	bash scripts/run_local.sh

lint:   ## ruff + pylint-odoo on the addons
	bash scripts/lint.sh
