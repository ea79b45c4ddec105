"""Cross-module checks run in the Odoo tier against the database with all five modules installed."""

import os

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = ["crm_chatbot_leads", "marketplace_connector", "nova_poshta", "prro_checkbox", "customer_clustering",
           "customer_clustering_crm"]
MENUS = {
    "crm_chatbot_leads": "crm_chatbot_leads.chatbot_bot_menu",
    "marketplace_connector": "marketplace_connector.marketplace_root_menu",
    "nova_poshta": "nova_poshta.nova_poshta_root_menu",
    "prro_checkbox": "prro_checkbox.prro_root_menu",
    "customer_clustering": "customer_clustering.customer_clustering_root_menu",
    "customer_clustering_crm": "customer_clustering_crm.crm_customer_segment_menu",
}


@tagged("post_install", "-at_install")
class TestSuiteInstall(TransactionCase):
    def test_all_modules_installed_with_menus(self):
        modules = self.env["ir.module.module"].search([("name", "in", MODULES)])
        self.assertEqual(sorted(modules.mapped("name")), sorted(MODULES))
        self.assertEqual(set(modules.mapped("state")), {"installed"})
        for module, xmlid in MENUS.items():
            menu = self.env.ref(xmlid)
            self.assertTrue(menu.active, f"{module}: menu {xmlid} inactive")

    def test_ukrainian_translations_complete(self):
        """Every term the modules export has a non-empty Ukrainian translation in i18n/uk.po."""
        for module in MODULES:
            with self.subTest(module=module):
                po_path = os.path.join(ROOT, "addons", module, "i18n", "uk.po")
                self.assertTrue(os.path.isfile(po_path), f"{module}: i18n/uk.po missing")
                translated = {
                    entry.msgid for entry in polib.pofile(po_path) if entry.msgstr.strip() and not entry.obsolete
                }
                reader = TranslationModuleReader(self.env.cr, modules=[module], lang="en_US")
                terms = {source for mod, _type, _name, _res, source, _val, _com in reader if mod == module}
                missing = sorted(terms - translated)
                self.assertFalse(missing, f"{module}: {len(missing)} terms without uk translation, e.g. {missing[:5]}")
