import json
import threading

from odoo import api, fields, models

PREPAID_PAYMENT_TYPE = "card"  # paid by card at the marketplace (Prom-оплата, Rozetka Pay)


class MarketplaceOrder(models.Model):
    _inherit = "marketplace.order"

    prro_receipt_id = fields.Many2one("prro.receipt", string="Fiscal Receipt", copy=False, readonly=True)
    prro_receipt_state = fields.Selection(related="prro_receipt_id.state", string="Fiscal Receipt State")

    def _create_sale_order(self, data):
        result = super()._create_sale_order(data)
        if self.sale_order_id and self._is_paid_online():
            self._prro_fiscalize_prepayment()
        return result

    def _prro_key(self):
        return f"marketplace_paid:{self.channel_id.id}:{self.external_id}"

    def _prro_paid_at(self):
        raw = json.loads(self.payload or "{}")
        stamp = ((raw.get("payment_data") or {}).get("status_modified") or "")[:19].replace("T", " ")
        try:
            return fields.Datetime.to_datetime(stamp) if stamp else self.date_order or fields.Datetime.now()
        except ValueError:
            return self.date_order or fields.Datetime.now()

    def _prro_fiscalize_prepayment(self):
        """Queue the fiscal receipt of the money paid at the marketplace (sent by prro_checkbox's cron).

        :return: the prro.receipt, or None when it could not be queued (the reason is on the order).
        """
        self.ensure_one()
        order = self.sale_order_id
        if self.prro_receipt_id:
            return self.prro_receipt_id
        amount = order.currency_id.round(min(order.amount_total, self.channel_id._convert_amount(
            self._get_paid_amount() or self.amount_total, self.currency_id, order.currency_id)))
        receipt = order._prro_fiscalize_payment_noted(
            self.env._("%(channel)s prepayment", channel=self.channel_id.name), amount, PREPAID_PAYMENT_TYPE,
            paid_at=self._prro_paid_at(), key=self._prro_key())
        if receipt:
            self.prro_receipt_id = receipt
        return receipt

    @api.model
    def _cron_prro_fiscalize_prepayments(self, limit=200):
        """Prepaid orders whose receipt could not be queued before (one order per savepoint)."""
        testing = getattr(threading.current_thread(), "testing", False)
        bindings = self.search([("sale_order_id", "!=", False), ("prro_receipt_id", "=", False),
                                ("state", "=", "imported"), ("sale_order_id.state", "=", "sale")],
                               limit=limit, order="id")
        done = 0
        for binding in bindings.filtered(lambda b: b._is_paid_online()):
            lang = binding.company_id.partner_id.lang  # chatter notes for the shop's staff, in its language
            if (binding.with_context(lang=lang) if lang else binding)._prro_fiscalize_prepayment():
                done += 1
            if not testing:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # cron: one order per transaction
        return done
