#!/usr/bin/env bash
# Serve the suite from a locally installed Odoo 18.0 (no docker):
# creates (or reuses) database $DB, installs the five modules with demo data,
# and serves the web client on http://127.0.0.1:8069 (login admin / admin).
set -euo pipefail
source "$(dirname "$0")/common.sh"
DB="${DB:-omnichannel}"
odoo_available || { echo "!! Odoo 18.0 is not importable by $PYTHON; see README (Local run)" >&2; exit 1; }
"$PYTHON" -m pip install -q -r "$ROOT/requirements.txt"
ensure_postgres
if psql -d postgres -Atc "select 1 from pg_database where datname='$DB'" | grep -q 1; then
    echo ">> reusing database $DB (updating the five modules)"
    odoo_cmd -d "$DB" -u "$MODULES" --stop-after-init --log-level=warn
else
    echo ">> creating database $DB with demo data"
    odoo_cmd -d "$DB" -i "$MODULES" --stop-after-init --log-level=warn
fi
echo ">> serving on http://127.0.0.1:${PORT:-8069}  (login: admin / admin)"
exec "$PYTHON" -m odoo -c "$ROOT/odoo.conf" --addons-path="$(odoo_addons_path)" \
    --data-dir="${ODOO_DATA_DIR:-$HOME/.local/share/Odoo}" -d "$DB" --db-filter="^$DB\$" \
    --http-interface=127.0.0.1 --http-port="${PORT:-8069}" "$@"
