# Shared helpers for scripts/*.sh (sourced, not executed).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULES="${MODULES:-crm_chatbot_leads,marketplace_connector,nova_poshta,prro_checkbox,customer_clustering,omnichannel_dashboard,customer_clustering_crm}"
# Odoo modules installed next to ours in the Odoo-tier test database only (not in the separate-install loop):
# website_sale, so that customer_clustering's website product-view features are tested.
TEST_EXTRA_MODULES="${TEST_EXTRA_MODULES:-website_sale}"
PYTHON="${PYTHON:-python3}"

odoo_available() {
    "$PYTHON" -c "import odoo.release; assert odoo.release.version_info[0] == 18" >/dev/null 2>&1
}

# addons path: ours + the Odoo source tree's own addons/ directory when Odoo runs from a source checkout
odoo_addons_path() {
    "$PYTHON" - "$ROOT/addons" <<'PY'
import os, sys, odoo
paths = [sys.argv[1]]
root = os.path.dirname(os.path.abspath(odoo.__file__))
for candidate in (os.path.join(root, "addons"), os.path.join(root, "..", "addons")):
    candidate = os.path.abspath(candidate)
    if os.path.isdir(os.path.join(candidate, "web")) and candidate not in paths:
        paths.append(candidate)
print(",".join(paths))
PY
}

# Make sure a local PostgreSQL answers and the current OS user has a superuser role in it.
ensure_postgres() {
    if ! pg_isready -q 2>/dev/null; then
        if command -v pg_lsclusters >/dev/null; then
            read -r ver name _ < <(pg_lsclusters --no-header | head -1)
            echo ">> starting PostgreSQL cluster $ver/$name"
            pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || true
        fi
        for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
    fi
    pg_isready -q || { echo "!! PostgreSQL is not reachable on the local socket" >&2; return 1; }
    if ! psql -d postgres -Atc "select 1" >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ]; then
            su postgres -c "createuser -s $(whoami)" || true
        fi
    fi
    psql -d postgres -Atc "select 1" >/dev/null
}

odoo_cmd() {
    "$PYTHON" -m odoo -c "$ROOT/odoo.conf" --addons-path="$(odoo_addons_path)" \
        --data-dir="${ODOO_DATA_DIR:-$HOME/.local/share/Odoo}" "$@"
}
