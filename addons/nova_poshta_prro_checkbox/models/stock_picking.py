import threading

from odoo import api, fields, models

COD_PAYMENT_TYPE = "cashless"  # Nova Poshta transfers the collected money to the shop's account


class StockPicking(models.Model):
    _inherit = "stock.picking"

    np_cod_receipt_id = fields.Many2one("prro.receipt", string="COD Fiscal Receipt", copy=False, readonly=True)
    np_cod_receipt_state = fields.Selection(related="np_cod_receipt_id.state", string="COD Receipt State")

    def _nova_poshta_on_cod_paid(self, amount, date):
        result = super()._nova_poshta_on_cod_paid(amount, date)
        self._np_fiscalize_cod(paid_on=date)
        return result

    def _np_cod_key(self):
        return f"np_cod:{self.nova_poshta_document_ref}"

    def _np_fiscalize_cod(self, paid_on=None):
        """Queue the fiscal receipt of the paid-out cash on delivery (prro_checkbox sends it after commit).

        The waybill's key makes it once per waybill whatever calls it again (tracking, the retry cron).
        :return: the prro.receipt, or None when it could not be queued (the reason is on the order).
        """
        self.ensure_one()
        order = self.sale_id
        if not order or self.nova_poshta_cod_amount <= 0 or not self.nova_poshta_document_ref:
            return None
        if self.np_cod_receipt_id:
            return self.np_cod_receipt_id
        amount = self.nova_poshta_currency_id._convert(
            self.nova_poshta_cod_amount, order.currency_id, order.company_id, fields.Date.context_today(self))
        amount = order.currency_id.round(min(amount, order.amount_total))
        paid_on = paid_on or self.nova_poshta_cod_paid_date
        now = fields.Datetime.now()
        paid_at = now if not paid_on or paid_on >= now.date() else fields.Datetime.to_datetime(paid_on)
        receipt = order._prro_fiscalize_payment_noted(
            self.env._("Nova Poshta COD %(number)s", number=self.nova_poshta_number), amount, COD_PAYMENT_TYPE,
            paid_at=paid_at, key=self._np_cod_key())
        if receipt:
            self.np_cod_receipt_id = receipt
        return receipt

    @api.model
    def _cron_np_fiscalize_cod(self, limit=200):
        """Receipts of paid-out COD that could not be queued before (one picking per savepoint)."""
        testing = getattr(threading.current_thread(), "testing", False)
        pickings = self.search([("nova_poshta_cod_received", "=", True), ("np_cod_receipt_id", "=", False),
                                ("nova_poshta_cod_amount", ">", 0), ("sale_id", "!=", False)], limit=limit)
        for picking in pickings:
            lang = picking.company_id.partner_id.lang  # chatter notes for the shop's staff, in its language
            (picking.with_context(lang=lang) if lang else picking)._np_fiscalize_cod()
            if not testing:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # cron: one picking per transaction
        return len(pickings)
