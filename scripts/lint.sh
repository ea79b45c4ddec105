#!/usr/bin/env bash
# Lint as Odoo/OCA projects do: ruff (style, imports, bugbear) and pylint-odoo's mandatory checks.
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
"$PYTHON" -m pip install -q --disable-pip-version-check ruff pylint-odoo 2>&1 | grep -v -i warning || true
rc=0
"$PYTHON" -m ruff check addons tests scripts || rc=1
"$PYTHON" -m pylint --rcfile=.pylintrc addons/* || rc=1
exit $rc
