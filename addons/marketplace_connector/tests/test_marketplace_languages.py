"""One language per audience (issue 14): what the crons and buttons write for the shop's staff (last errors,
order exceptions) is in the shop's language (its company partner's), whoever runs them; what a click answers
is in the clicker's; marketplace status codes are shown as translated labels; Import offers answers."""

from odoo.tests import tagged

from tests.fakes.base import Fault

from .common import MarketplaceCommon


@tagged("post_install", "-at_install")
class TestMarketplaceLanguages(MarketplaceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("uk_UA")
        cls.env["ir.module.module"].search([("name", "=", "marketplace_connector")])._update_translations("uk_UA")
        cls.env.company.partner_id.lang = "uk_UA"
        # the cron's user (OdooBot) reads English
        cls.cron_env = cls.env(user=cls.env.ref("base.user_root"), context={"lang": "en_US"})

    def _binding(self, channel, external_id):
        return self.env["marketplace.order"].search([("channel_id", "=", channel.id),
                                                     ("external_id", "=", str(external_id))])

    def test_cron_error_is_written_in_the_shops_language(self):
        self.prom.fail_next(Fault.server_error(503), times=20)
        self.cron_env["marketplace.channel"]._cron_import_orders()
        error = self.prom_channel.last_error
        self.assertIn("Немає зв'язку з Prom shop", error)
        self.assertIn("Подробиці:", error)
        self.assertIn("503", error, "the technical detail stays below the words")

    def test_cron_exception_message_in_the_shops_language(self):
        self._import_offers()
        self.prom.add_order(61, [{"id": 199, "sku": "UNKNOWN", "name": "Не наш товар", "quantity": 1,
                                  "price": 50}])
        self.cron_env["marketplace.channel"]._cron_import_orders()
        binding = self._binding(self.prom_channel, 61)
        self.assertEqual(binding.state, "exception")
        self.assertIn("Не зіставлено з товаром", binding.exception_message)

    def test_english_admin_click_stores_ukrainian_answers_in_english(self):
        self._import_offers()
        self.prom.add_order(62, [{"id": 199, "sku": "UNKNOWN", "name": "Не наш товар", "quantity": 1,
                                  "price": 50}])
        params = self.prom_channel.with_context(lang="en_US").action_import_orders()["params"]
        self.assertIn("imported 1 orders, 1 with an exception", params["message"], "the answer: the clicker's")
        binding = self._binding(self.prom_channel, 62)
        self.assertIn("Не зіставлено з товаром", binding.exception_message, "the stored text: the shop's")
        binding.with_context(lang="en_US").action_retry()
        self.assertIn("Не зіставлено з товаром", binding.exception_message)

    def test_marketplace_status_shown_as_a_translated_label(self):
        self._import_offers()
        self.prom.add_order(63, [{"id": 101, "sku": "SKU-1", "name": "Товар", "quantity": 1, "price": 100}],
                            status="received")
        self.rozetka.add_order(7001, [{"item_id": 501, "name": "Товар", "price": 100, "quantity": 1,
                                       "article": "SKU-1"}], status=26)
        (self.prom_channel | self.rozetka_channel).action_import_orders()
        prom, rozetka = self._binding(self.prom_channel, 63), self._binding(self.rozetka_channel, 7001)
        self.assertEqual(prom.marketplace_status, "received", "the raw code is kept")
        labels = dict(prom._fields["marketplace_status_label"]._description_selection(prom.with_context(
            lang="uk_UA").env))
        self.assertEqual(labels[prom.marketplace_status_label], "Прийнято")
        self.assertEqual(labels[rozetka.marketplace_status_label], "Опрацьовується менеджером")
        self.assertEqual(prom.delivery_provider, "nova_poshta")
        carriers = dict(prom._fields["delivery_provider_label"]._description_selection(prom.with_context(
            lang="uk_UA").env))
        self.assertEqual(carriers[prom.delivery_provider_label], "Нова пошта")
        # an unknown code (a shop's own Prom status) has no label: the form shows the code itself
        prom.marketplace_status = "custom_42"
        self.assertFalse(prom.marketplace_status_label)
        arch = self.env["marketplace.order"].get_views([(False, "form"), (False, "list")])["views"]
        self.assertIn("marketplace_status_label", arch["form"]["arch"])
        self.assertIn("marketplace_status_label", arch["list"]["arch"])

    def test_import_offers_answers_with_counts(self):
        params = self.prom_channel.with_context(lang="uk_UA").action_import_offers()["params"]
        self.assertEqual(params["type"], "warning", "one offer has no product")
        self.assertIn("прочитано пропозицій: 4, нових: 4; зіставлено з товарами: 3, без товару: 1",
                      params["message"])
        self.assertEqual(params["next"]["res_model"], "marketplace.offer", "then the offers open")
        params = self.prom_channel.action_import_offers()["params"]
        self.assertIn("4 offers read, 0 new", params["message"])

    def test_import_offers_when_the_marketplace_is_down(self):
        self.prom.fail_next(Fault.server_error(503), times=20)
        params = self.prom_channel.with_context(lang="en_US").action_import_offers()["params"]
        self.assertEqual((params["type"], params["sticky"]), ("warning", True))
        self.assertIn("No connection with Prom shop", params["message"])
        self.assertNotIn("503", params["message"])
        self.assertIn("503", self.prom_channel.last_error, "the detail is kept on the channel")
        self.assertFalse(self.prom_channel.offer_ids)
