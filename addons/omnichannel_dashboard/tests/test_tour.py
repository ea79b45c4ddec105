from odoo.tests import HttpCase, tagged

SUITE = ["crm_chatbot_leads", "marketplace_connector", "nova_poshta", "prro_checkbox", "customer_clustering"]


@tagged("post_install", "-at_install")
class TestOmnichannelMorningTour(HttpCase):
    """The owner's morning in a real browser (headless Chromium), in Ukrainian, on the demo data."""

    def test_owner_morning_in_ukrainian(self):
        modules = self.env["ir.module.module"].search([("name", "in", SUITE), ("state", "=", "installed")])
        if len(modules) < len(SUITE) or not self.env.ref("crm_chatbot_leads.demo_conversation_olena", False) \
                or not self.env.ref("marketplace_connector.demo_order_rozetka_exception", False):
            self.skipTest("the tour walks the suite's demo data")
        self.env["res.lang"]._activate_lang("uk_UA")
        (modules + self.env["ir.module.module"].search([("name", "in", ("omnichannel_dashboard", "web"))])
         )._update_translations(["uk_UA"])
        self.env.ref("base.user_admin").lang = "uk_UA"
        # Apps shows every module of the suite with its Ukrainian name and summary
        for module in (modules | self.env["ir.module.module"].search([("name", "=", "omnichannel_dashboard")])
                       ).with_context(lang="uk_UA"):
            self.assertRegex(module.shortdesc, "[а-яіїєґ]", module.name)
            self.assertRegex(module.summary, "[а-яіїєґ]", module.name)
        # warm the web client's server side first: on a busy CI machine the browser's first navigation
        # otherwise hits Chrome's 20 s navigation limit while the page and its assets are prepared
        self.authenticate("admin", "admin")
        self.url_open("/odoo", timeout=300)
        self.start_tour("/odoo", "omnichannel_morning", login="admin", timeout=600)

        order = self.env.ref("marketplace_connector.demo_order_rozetka_exception")
        self.assertEqual(order.state, "exception", "still unmapped after the retry")
        conversation = self.env.ref("crm_chatbot_leads.demo_conversation_olena")
        reply = conversation.message_ids.filtered(lambda m: m.direction == "out" and m.author_id)
        self.assertEqual(reply.body, "Так, стілець є в наявності. Відправимо сьогодні Новою поштою.")
        self.assertEqual(reply.author_id, self.env.ref("base.user_admin"))
