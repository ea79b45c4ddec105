import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import const
from .account_move import FISCAL_STATES, _fiscal_state
from .prro_receipt import PrroBuildError

_logger = logging.getLogger(__name__)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    prro_receipt_ids = fields.One2many("prro.receipt", "sale_order_id", string="Fiscal Receipts")
    prro_state = fields.Selection(FISCAL_STATES, string="Fiscal State", compute="_compute_prro_state")
    prro_error = fields.Text(string="Fiscal Error", compute="_compute_prro_state")
    prro_receipt_count = fields.Integer(compute="_compute_prro_state")

    @api.depends("prro_receipt_ids.state", "invoice_ids.prro_receipt_ids.state")
    def _compute_prro_state(self):
        for order in self:
            receipts = order.sudo()._prro_all_receipts()
            order.prro_state = _fiscal_state(receipts)
            order.prro_error = "\n".join(receipts.filtered(lambda r: r.state == "error").mapped("error_message")
                                         or [])
            order.prro_receipt_count = len(receipts)

    def _prro_all_receipts(self):
        return self.prro_receipt_ids | self.invoice_ids.prro_receipt_ids

    def _prro_fiscalize_payment(self, amount, payment_type, paid_at=None, key=None):
        """Public hook: fiscalize money received for this order (marketplace prepayment, cash on delivery...).

        :param float amount: money actually received, in the order's currency
        :param str payment_type: 'cash' | 'card' | 'cashless'
        :param datetime paid_at: when the money was confirmed (default: now); receipts are sent in this order
        :param str key: idempotency key, e.g. 'np_cod:<waybill ref>'; calling again with the same key returns
            the existing receipt (unique constraint)
        :return: the ``prro.receipt`` (state ``to_send``, or ``error`` with the reason when no cash register is
            configured for the company or a tax is not mapped); the cron sends it after the caller's commit.
            No external call is made here.
        """
        self.ensure_one()
        if payment_type not in dict(const.PAYMENT_TYPES):
            raise ValueError(f"payment_type must be one of cash/card/cashless, not {payment_type!r}")
        Receipt = self.env["prro.receipt"].sudo()
        key = key or f"sale:{self.id}:{payment_type}:{amount:.2f}"
        existing = Receipt.search([("key", "=", key)], limit=1)
        if existing:
            return existing
        register = self.env["prro.cash.register"].sudo()._prro_default_register(self.company_id)
        vals = {
            "key": key, "company_id": self.company_id.id, "register_id": register.id, "receipt_type": "sell",
            "sale_order_id": self.id, "partner_id": self.partner_id.id, "email": self.partner_id.email or False,
            "paid_at": paid_at or fields.Datetime.now(), f"amount_{payment_type}": amount,
        }
        if not register:
            vals.update(state="error", error_message=self.env._(
                "No PRRO cash register is configured for %(company)s.", company=self.company_id.name))
            return Receipt._prro_create_once(vals)
        try:
            lines = Receipt._prro_lines_from_order(register, self)
        except PrroBuildError as error:
            vals.update(state="error", error_message=str(error))
            return Receipt._prro_create_once(vals)
        total = sum(line["amount"] for line in lines)
        currency = self.currency_id
        if currency.compare_amounts(amount, total) > 0 and payment_type != "cash":
            vals.update(state="error", error_message=self.env._(
                "The payment (%(amount)s) is more than the order total (%(total)s).", amount=amount, total=total))
        elif currency.compare_amounts(amount, total) < 0:
            vals["amount_discount"] = currency.round(total - amount)  # paid less: the difference is a discount
        vals["line_ids"] = [(0, 0, line) for line in lines]
        return Receipt._prro_create_once(vals)

    def _prro_fiscalize_payment_noted(self, source, amount, payment_type, paid_at=None, key=None):
        """Call :meth:`_prro_fiscalize_payment` and tell the outcome in a note on the order.

        For the bridges that fiscalize money received elsewhere (marketplace prepayment, Nova Poshta COD): the
        receipt is queued in a savepoint, so a failure leaves nothing half-written, and the order's chatter says
        "queued", "in error (why)" or "could not be queued (why); retried later".

        :param str source: what the money is, already translated, e.g. "Prom.ua prepayment"; starts the note
        :return: the ``prro.receipt``, or None when it could not be queued (the reason is on the order; the
            caller's retry cron calls again later)
        """
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                receipt = self._prro_fiscalize_payment(amount, payment_type, paid_at=paid_at, key=key)
        except (UserError, ValidationError, ValueError) as error:  # kept on the order, retried by the cron
            _logger.warning("%s (order %s) not fiscalized: %s", source, self.name, error)
            self.message_post(body=self.env._(
                "%(what)s: the fiscal receipt could not be queued (%(error)s); retried later.",
                what=source, error=str(error)))
            return None
        if receipt.state == "error":
            body = self.env._("%(what)s: fiscal receipt %(receipt)s is in error (%(error)s); fix the cause and "
                              "press Retry on the receipt.", what=source, receipt=receipt.display_name,
                              error=receipt.error_message or "-")
        else:
            body = self.env._("%(what)s: fiscal receipt %(receipt)s queued (%(amount)s).", what=source,
                              receipt=receipt.display_name, amount=self.currency_id.format(amount))
        self.message_post(body=Markup("🧾 %s") % body, subtype_xmlid="mail.mt_note")
        return receipt

    def action_prro_retry(self):
        self.sudo()._prro_all_receipts().filtered(lambda r: r.state == "error").action_prro_retry()
        return True

    def action_prro_view_receipts(self):
        return {
            "type": "ir.actions.act_window", "res_model": "prro.receipt", "name": self.env._("Fiscal Receipts"),
            "view_mode": "list,form", "domain": [("id", "in", self.sudo()._prro_all_receipts().ids)],
        }
