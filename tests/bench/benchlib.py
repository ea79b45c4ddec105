"""What the benchmark scripts share: the project's shell helpers (scripts/common.sh), e.g. the addons path."""

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sh(cmd):
    """Run `cmd` in bash with scripts/common.sh sourced (from the project root); its standard output."""
    return subprocess.run(["bash", "-c", f"cd {ROOT} && source scripts/common.sh && {cmd}"],
                          check=True, capture_output=True, text=True).stdout


def odoo_addons_path():
    """The project's addons plus Odoo's own, as the test command computes it (`odoo_addons_path`)."""
    return sh("odoo_addons_path").strip()
