from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged

from tests.fakes.base import Fault
from tests.fakes.nbu import PATH as NBU_PATH
from tests.fakes.nbu import NbuFake


@tagged("post_install", "-at_install")
class TestMarketplaceRatesAndLogs(TransactionCase):
    def test_nbu_rates_update_usd_eur_for_uah_company(self):
        nbu = NbuFake().start()
        self.addCleanup(nbu.stop)
        uah, usd, eur = (self.env.ref(f"base.{code}") for code in ("UAH", "USD", "EUR"))
        (uah | usd | eur).write({"active": True})
        company = self.env["res.company"].create({"name": "ТОВ Маркет", "currency_id": uah.id})
        self.env["ir.config_parameter"].sudo().set_param("marketplace.nbu_url", nbu.url + NBU_PATH)
        Channel = self.env["marketplace.channel"].with_company(company)
        Channel._cron_import_nbu_rates()
        Rate = self.env["res.currency.rate"].with_company(company)
        usd_rate = Rate.search([("currency_id", "=", usd.id), ("company_id", "=", company.id)])
        self.assertEqual(len(usd_rate), 1)
        self.assertEqual(usd_rate.name, fields.Date.to_date("2026-11-21"), "date taken from exchangedate")
        self.assertAlmostEqual(usd_rate.inverse_company_rate, 41.9875, places=4)
        eur_rate = Rate.search([("currency_id", "=", eur.id), ("company_id", "=", company.id)])
        self.assertAlmostEqual(eur_rate.inverse_company_rate, 48.5123, places=4)
        # the same day again with a corrected rate: updated, not duplicated
        nbu.rates["USD"] = (840, "Долар США", 42.0)
        Channel._cron_import_nbu_rates()
        usd_rate = Rate.search([("currency_id", "=", usd.id), ("company_id", "=", company.id)])
        self.assertEqual(len(usd_rate), 1)
        self.assertAlmostEqual(usd_rate.inverse_company_rate, 42.0, places=4)
        # a broken answer keeps the known rates
        nbu.fail_next(Fault.malformed_json())
        Channel._cron_import_nbu_rates()
        self.assertAlmostEqual(usd_rate.inverse_company_rate, 42.0, places=4)

    def test_call_log_retention(self):
        channel = self.env["marketplace.channel"].create({"name": "Log channel", "channel_type": "prom",
                                                          "api_token": "x"})
        logs = self.env["marketplace.log"].create([
            {"channel_id": channel.id, "operation": op, "request": "GET /orders/list", "status_code": 200}
            for op in ("old", "new")])
        self.env.cr.execute("UPDATE marketplace_log SET create_date = %s WHERE id = %s",
                            [fields.Datetime.now() - timedelta(days=400), logs[0].id])
        self.env["marketplace.log"]._gc_old_logs()
        self.assertEqual(self.env["marketplace.log"].search([("channel_id", "=", channel.id)]).mapped("operation"),
                         ["new"])
