#!/usr/bin/env bash
# The suite's one test command (README "Tests"; .ci/run calls it through `make test`).
#  1. installs the Python requirements;
#  2. pure-Python tier: API clients, parsers, payload mapping, feature math, protocol fakes (no Odoo);
#  3. Odoo tier, when `import odoo` (18.0) works: starts PostgreSQL if needed, creates a throw-away
#     database, installs our modules (+ website_sale, TEST_EXTRA_MODULES) with demo data, runs every module's tests with pytest-odoo
#     (HTTP server on, for webhook tests), then drops the database.
# Exit code is non-zero on any failure, and on a tier that collected no test.
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
START=$(date +%s)

echo ">> installing Python requirements"
"$PYTHON" -m pip install -q --disable-pip-version-check -r requirements.txt 2>&1 | grep -v -i "warning" || true

run_pytest() {  # run_pytest <tier name> <pytest args...>; fails on exit 5 (no tests) too
    local tier="$1"; shift
    "$PYTHON" -m pytest "$@"
    local rc=$?
    if [ $rc -eq 5 ]; then
        echo "!! $tier tier collected no test" >&2
        return 1
    fi
    return $rc
}

shopt -s nullglob
PURE_DIRS=(addons/*/tests/pure tests/pure)
echo ">> pure-Python tier: ${PURE_DIRS[*]}"
run_pytest pure -p no:odoo -p no:cacheprovider --import-mode=prepend -q "${PURE_DIRS[@]}"
PURE_RC=$?
echo ">> pure tier exit code $PURE_RC ($(( $(date +%s) - START ))s)"

if ! odoo_available; then
    echo "!! ==================================================================="
    echo "!! ODOO TIER SKIPPED: 'import odoo' (18.0) does not work with $PYTHON."
    echo "!! Only the pure-Python tier ran. Install Odoo 18.0 (see README) to run"
    echo "!! the module tests against a real database."
    echo "!! ==================================================================="
    exit $PURE_RC
fi

ensure_postgres || exit 1
DB="suite_test_$(date +%s)_$$"
DATA_DIR="$(mktemp -d)"
export ODOO_DATA_DIR="$DATA_DIR"
cleanup() {
    for db in $(psql -d postgres -Atc "select datname from pg_database where datname like '${DB}%'"); do
        dropdb --if-exists "$db" >/dev/null 2>&1 || true
    done
    rm -rf "$DATA_DIR"
}
trap cleanup EXIT

INSTALL_MODULES="$MODULES${TEST_EXTRA_MODULES:+,$TEST_EXTRA_MODULES}"
echo ">> Odoo tier: installing $INSTALL_MODULES with demo data into throw-away database $DB"
INSTALL_START=$(date +%s)
INSTALL_LOG="$DATA_DIR/install.log"
odoo_cmd -d "$DB" -i "$INSTALL_MODULES" --stop-after-init --log-level=warn >"$INSTALL_LOG" 2>&1
INSTALL_RC=$?
INSTALL_TIME=$(( $(date +%s) - INSTALL_START ))
grep -v "Running as user 'root'" "$INSTALL_LOG" | tail -40
if [ $INSTALL_RC -ne 0 ] || grep -qE " (ERROR|CRITICAL) " "$INSTALL_LOG"; then
    echo "!! module installation failed (exit $INSTALL_RC)" >&2
    exit 1
fi
INSTALLED=$(psql -d "$DB" -Atc "select count(*) from ir_module_module where state='installed' and name in ('${INSTALL_MODULES//,/\',\'}')")
EXPECTED=$(echo "$INSTALL_MODULES" | tr ',' '\n' | wc -l)
if [ "$INSTALLED" != "$EXPECTED" ]; then
    echo "!! only $INSTALLED of the $EXPECTED modules are installed" >&2
    exit 1
fi
echo ">> install took ${INSTALL_TIME}s"

ODOO_TEST_DIRS=(addons/*/tests tests/suite)
echo ">> running module tests with pytest-odoo: ${ODOO_TEST_DIRS[*]}"
run_pytest odoo -p no:cacheprovider -q \
    --odoo-database="$DB" --odoo-addons-path="$(odoo_addons_path)" --odoo-http \
    --odoo-extra="data-dir=$DATA_DIR" --odoo-log-level=warn \
    --ignore-glob="*/tests/pure/*" "${ODOO_TEST_DIRS[@]}"
ODOO_RC=$?
echo ">> Odoo tier exit code $ODOO_RC; install ${INSTALL_TIME}s; $(( $(date +%s) - START ))s so far"

# Each module must also install on its own (its manifest declares everything it needs).
SEPARATE_RC=0
if [ "${SEPARATE_INSTALL:-1}" = 1 ]; then
    BASE_DB="${DB}_base"
    odoo_cmd -d "$BASE_DB" -i base --stop-after-init --log-level=warn >"$DATA_DIR/base.log" 2>&1 \
        || { echo "!! base install failed" >&2; SEPARATE_RC=1; }
    for module in ${MODULES//,/ }; do
        [ $SEPARATE_RC -eq 0 ] || break
        one_db="${DB}_${module}"
        t0=$(date +%s)
        createdb -T "$BASE_DB" "$one_db"
        odoo_cmd -d "$one_db" -i "$module" --stop-after-init --log-level=warn >"$DATA_DIR/$module.log" 2>&1
        rc=$?
        state=$(psql -d "$one_db" -Atc "select state from ir_module_module where name='$module'")
        dropdb --if-exists "$one_db"
        if [ $rc -ne 0 ] || [ "$state" != installed ] || grep -qE " (ERROR|CRITICAL) " "$DATA_DIR/$module.log"; then
            grep -E " (ERROR|CRITICAL) " -A5 "$DATA_DIR/$module.log" | head -30
            echo "!! $module does not install on its own (state '$state', exit $rc)" >&2
            SEPARATE_RC=1
        else
            echo ">> $module installs on its own ($(( $(date +%s) - t0 ))s)"
        fi
    done
    dropdb --if-exists "$BASE_DB"
fi
echo ">> total $(( $(date +%s) - START ))s"
[ $PURE_RC -eq 0 ] && [ $ODOO_RC -eq 0 ] && [ $SEPARATE_RC -eq 0 ]
