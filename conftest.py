"""Repository-wide pytest setup.

* Puts the repository root on sys.path so tests can import the protocol fakes (``tests.fakes``).
* For the pure-Python tier (run with ``-p no:odoo``), registers each addon directory as a bare
  package, so ``import nova_poshta.tools.nova_poshta_api`` loads the plain-Python client without
  executing the addon's ``__init__`` (which imports Odoo).
"""

import os
import sys
import types

ROOT = os.path.dirname(os.path.abspath(__file__))
ADDONS = os.path.join(ROOT, "addons")
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def pytest_configure(config):
    if config.pluginmanager.has_plugin("odoo") and "odoo" in sys.modules:
        # Odoo tier: addons are imported as odoo.addons.<name> by pytest-odoo.
        # Put Odoo in test mode without `test_enable`: with it, loading the registry would first
        # run the at_install tests of every installed module (base included), which takes minutes.
        from odoo.tools import config as odoo_config

        odoo_config["test_enable"] = False
        odoo_config["test_file"] = odoo_config["test_file"] or __file__
        return
    for name in sorted(os.listdir(ADDONS)):
        path = os.path.join(ADDONS, name)
        if os.path.isfile(os.path.join(path, "__manifest__.py")) and name not in sys.modules:
            # the addon and its tests package: pytest imports tests/__init__.py while collecting
            # tests/pure/, and that file imports the Odoo-tier tests
            for dotted, directory in ((name, path), (f"{name}.tests", os.path.join(path, "tests"))):
                package = types.ModuleType(dotted)
                package.__path__ = [directory]
                package.__file__ = os.path.join(directory, "__init__.py")
                sys.modules[dotted] = package
