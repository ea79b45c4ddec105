"""Fiscal receipts: the outbox of everything that goes to Checkbox.

A receipt is created in the business transaction (invoice paid, hook called) with a client-side UUID, in
state ``to_send``. Only the cron (:meth:`PrroReceipt._cron_send`) talks to Checkbox, after that transaction
committed. Exactly once:

* a worker first *leases* the receipt (row lock taken with NOWAIT + ``lease_until``), so two workers never send
  it together - the other one skips it;
* before POST /receipts/sell it commits ``posted = True`` (and the lease, which then outlives a crashed worker
  for LEASE_SECONDS); a receipt that was ever posted is first looked up
  with GET /receipts/{uuid} and only posted again when Checkbox does not know it (404);
* after a timeout, a dropped connection or a 5xx the same worker asks Checkbox for the UUID at once;
* Checkbox refuses a reused id (400 receipt.already_exists), a second line of defence.
"""

import base64
import logging
import re
import threading
import uuid
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, mute_logger

from .. import const
from ..tools.checkbox_api import CheckboxError, from_kopecks, to_kopecks, to_quantity
from .prro_shift import _parse_dt

_logger = logging.getLogger(__name__)

RECEIPT_STATES = [("to_send", "To Send"), ("sending", "Sending"), ("done", "Done"), ("error", "Error")]
RECEIPT_TYPES = [("sell", "Sale"), ("return", "Return"), ("service_in", "Cash Deposit"),
                 ("service_out", "Cash Withdrawal")]


class PrroBuildError(Exception):
    """The receipt cannot be built from its source (unmapped tax, no register...): shown on the receipt."""


class PrroReceipt(models.Model):
    _name = "prro.receipt"
    _description = "PRRO Fiscal Receipt (Checkbox)"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    uuid = fields.Char(string="Receipt UUID", required=True, readonly=True, copy=False, index=True,
                       default=lambda self: str(uuid.uuid4()))
    key = fields.Char(string="Idempotency Key", readonly=True, copy=False, index=True,
                      help="One receipt per key: the same payment reported twice gets the same receipt.")
    receipt_type = fields.Selection(RECEIPT_TYPES, required=True, default="sell", readonly=True)
    state = fields.Selection(RECEIPT_STATES, default="to_send", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    register_id = fields.Many2one("prro.cash.register", check_company=True, index=True)
    shift_id = fields.Many2one("prro.shift", readonly=True, index=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True, index=True, ondelete="restrict")
    sale_order_id = fields.Many2one("sale.order", readonly=True, index=True, ondelete="restrict")
    partner_id = fields.Many2one("res.partner", readonly=True)
    email = fields.Char(help="Checkbox e-mails the receipt to this address.")
    paid_at = fields.Datetime(string="Paid At", default=fields.Datetime.now, required=True,
                              help="When the money was received (receipts are sent in this order).")
    related_receipt_id = fields.Many2one("prro.receipt", string="Original Receipt", readonly=True)
    line_ids = fields.One2many("prro.receipt.line", "receipt_id", string="Lines")
    amount_cash = fields.Monetary(string="Cash")
    amount_card = fields.Monetary(string="Card")
    amount_cashless = fields.Monetary(string="Cashless")
    amount_discount = fields.Monetary(string="Receipt Discount", help="Discount on the whole receipt.")
    amount_total = fields.Monetary(compute="_compute_amount_total", store=True)
    rounding = fields.Boolean(string="Cash Rounding")
    # Checkbox result
    checkbox_status = fields.Char(readonly=True)
    fiscal_code = fields.Char(readonly=True, index=True)
    serial = fields.Integer(readonly=True)
    fiscal_date = fields.Datetime(readonly=True)
    total_sum = fields.Monetary(readonly=True)
    total_payment = fields.Monetary(readonly=True)
    total_rest = fields.Monetary(string="Change", readonly=True)
    round_sum = fields.Monetary(readonly=True)
    tax_url = fields.Char(string="Tax Office Link", readonly=True)
    receipt_text = fields.Text(readonly=True)
    receipt_pdf = fields.Binary(string="PDF", attachment=True, readonly=True)
    is_created_offline = fields.Boolean(string="Offline", readonly=True)
    email_sent = fields.Boolean(readonly=True)
    # sending machinery
    posted = fields.Boolean(readonly=True, copy=False,
                            help="Sent to Checkbox at least once: look it up before sending again.")
    attempt_count = fields.Integer(readonly=True, copy=False)
    next_try = fields.Datetime(readonly=True, copy=False, index=True)
    lease_until = fields.Datetime(readonly=True, copy=False)
    error_message = fields.Text(readonly=True, copy=False)

    _sql_constraints = [
        ("uuid_uniq", "unique(uuid)", "The receipt UUID must be unique."),
        ("key_uniq", "unique(key)", "This payment already has a fiscal receipt."),
    ]

    @api.depends("fiscal_code", "move_id", "sale_order_id", "uuid")
    def _compute_name(self):
        for receipt in self:
            receipt.name = (receipt.fiscal_code or receipt.move_id.name or receipt.sale_order_id.name
                            or (receipt.uuid or "")[:8])

    @api.depends("line_ids.amount", "amount_discount", "receipt_type", "amount_cash", "amount_card",
                 "amount_cashless")
    def _compute_amount_total(self):
        for receipt in self:
            if receipt.receipt_type in ("service_in", "service_out"):
                receipt.amount_total = receipt.amount_cash
            else:
                receipt.amount_total = sum(receipt.line_ids.mapped("amount")) - receipt.amount_discount

    # -- creation -------------------------------------------------------------------------
    @api.model
    def _prro_create_once(self, vals):
        """Create a receipt unless one with the same key exists (then return that one)."""
        if vals.get("key"):
            existing = self.sudo().search([("key", "=", vals["key"])], limit=1)
            if existing:
                return existing
        receipt = self.sudo().create(vals)
        self.env.ref("prro_checkbox.ir_cron_prro_send_receipts")._trigger()
        return receipt

    @api.model
    def _prro_tax_codes(self, register, taxes):
        """Checkbox tax codes of Odoo taxes (group taxes expanded); PrroBuildError names an unmapped tax."""
        codes = []
        for tax in taxes.flatten_taxes_hierarchy():
            mapping = register.tax_mapping_ids.filtered(lambda m, t=tax: t in m.tax_ids)
            if not mapping:
                raise PrroBuildError(self.env._(
                    "Tax \"%(tax)s\" has no Checkbox tax code. Map it on the cash register %(register)s "
                    "(Invoicing › Configuration › PRRO › Cash Registers › Taxes) and press Retry.",
                    tax=tax.display_name, register=register.name))
            codes.append(mapping[0].checkbox_code)
        if len(codes) > 2:
            raise PrroBuildError(self.env._("Checkbox accepts at most two taxes per line (%(taxes)s).",
                                            taxes=", ".join(taxes.mapped("name"))))
        return codes

    @api.model
    def _prro_line_vals(self, register, product, name, quantity, price_unit_incl, amount, taxes, sequence):
        """One receipt line: unit price with taxes, quantity, and the line total after discounts."""
        codes = self._prro_tax_codes(register, taxes) if taxes else []
        template = product.product_tmpl_id
        return {
            "sequence": sequence, "product_id": product.id or False,
            "code": (template.prro_code or product.default_code or f"ODOO-{product.id or 0}")[:256],
            "uktzed": template.prro_uktzed or False, "barcode": product.barcode or False,
            "name": re.sub(r"^\[[^\]]*\]\s*", "", (name or product.display_name or "-").split("\n")[0])[:256]
            or "-",
            "quantity": abs(quantity), "price_unit": abs(price_unit_incl), "amount": abs(amount),
            "tax_codes": ",".join(str(c) for c in codes),
        }

    @api.model
    def _prro_lines_from_invoice(self, register, move):
        lines = []
        for sequence, line in enumerate(move.invoice_line_ids.filtered(lambda ln: ln.display_type == "product"), 1):
            if move.currency_id.is_zero(line.price_total) and not line.quantity:
                continue
            quantity = line.quantity or 1.0
            unit = line.tax_ids.compute_all(line.price_unit, move.currency_id, 1.0, product=line.product_id,
                                            partner=move.partner_id)["total_included"]
            lines.append(self._prro_line_vals(register, line.product_id, line.name, quantity, unit,
                                              line.price_total, line.tax_ids, sequence))
        return lines

    @api.model
    def _prro_lines_from_order(self, register, order):
        lines = []
        for sequence, line in enumerate(order.order_line.filtered(lambda ln: not ln.display_type), 1):
            if not line.product_uom_qty or line.is_downpayment:
                continue
            unit = line.tax_id.compute_all(line.price_unit, order.currency_id, 1.0, product=line.product_id,
                                           partner=order.partner_id)["total_included"]
            lines.append(self._prro_line_vals(register, line.product_id, line.name, line.product_uom_qty, unit,
                                              line.price_total, line.tax_id, sequence))
        return lines

    # -- payload ------------------------------------------------------------------------------
    def _prro_prepare_payload(self):
        """ReceiptSellPayload of this receipt (docs/contracts/checkbox.md): kopecks and thousandths."""
        self.ensure_one()
        is_return = self.receipt_type == "return"
        goods = []
        for line in self.line_ids:
            price = to_kopecks(line.price_unit)
            quantity = to_quantity(line.quantity)
            good = {"code": line.code, "name": line.name, "price": price}
            if line.tax_codes:
                good["tax"] = [int(c) for c in line.tax_codes.split(",")]
            if line.uktzed:
                good["uktzed"] = line.uktzed
            if line.barcode:
                good["barcode"] = line.barcode
            item = {"good": good, "quantity": quantity, "is_return": is_return}
            # Checkbox computes the line sum as price × quantity / 1000: the difference to our line total
            # (discounts, rounding of the unit price) goes in as a discount or an extra charge in kopecks
            difference = round(price * quantity / 1000) - to_kopecks(line.amount)
            if difference:
                item["discounts"] = [{"type": "DISCOUNT" if difference > 0 else "EXTRA_CHARGE", "mode": "VALUE",
                                      "value": abs(difference)}]
            goods.append(item)
        total = sum(to_kopecks(line.amount) for line in self.line_ids) - to_kopecks(self.amount_discount)
        payload = {"id": self.uuid, "goods": goods}
        if self.amount_discount:
            payload["discounts"] = [{"type": "DISCOUNT", "mode": "VALUE", "value": to_kopecks(self.amount_discount),
                                     "name": self.env._("Discount")}]
        payload["payments"] = self._prro_payments(total)
        if self.rounding:
            payload["rounding"] = True
        if self.related_receipt_id.uuid and is_return:
            payload["related_receipt_id"] = self.related_receipt_id.uuid
        if self.email and (self.register_id.send_email):
            payload["delivery"] = {"email": self.email}
        if self.sale_order_id or self.move_id:
            payload["header"] = (self.move_id.name or self.sale_order_id.name)[:200]
        return payload

    def _prro_payments(self, total):
        """Payments in kopecks; the last non-zero type takes the rounding remainder so they add up to total."""
        labels = {"cash": self.env._("Cash"), "card": self.env._("Card"), "cashless": self.env._("Cashless")}
        amounts = [(kind, to_kopecks(self[f"amount_{kind}"])) for kind in ("cash", "card", "cashless")]
        amounts = [(kind, value) for kind, value in amounts if value > 0]
        if not amounts:
            return [{"type": "CASHLESS", "value": total, "label": labels["cashless"]}]
        cash = sum(value for kind, value in amounts if kind == "cash")
        if not cash or sum(value for _k, value in amounts) < total:
            # non-cash payments must match the receipt exactly: the remainder goes on the last one
            kind, value = amounts[-1]
            amounts[-1] = (kind, value + total - sum(v for _k, v in amounts))
        return [{"type": const.CHECKBOX_PAYMENT_TYPE[kind], "value": value, "label": labels[kind]}
                for kind, value in amounts]

    # -- sending ------------------------------------------------------------------------------
    @api.model
    def _cron_send(self, limit=None):
        """Send due receipts, each in its own transactions; reschedules itself while work is left."""
        testing = getattr(threading.current_thread(), "testing", False)

        def commit():
            if not testing:
                # the receipt's state must be durable before/after each external call (exactly once)
                self.env.cr.commit()  # pylint: disable=invalid-commit

        batch = limit or int(self.env["ir.config_parameter"].sudo().get_param(
            const.BATCH_SIZE_PARAM, const.DEFAULT_BATCH_SIZE))
        now = fields.Datetime.now()
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """SELECT id FROM prro_receipt
                WHERE state IN ('to_send', 'sending')
                  AND (next_try IS NULL OR next_try <= %(now)s)
                  AND (lease_until IS NULL OR lease_until < %(now)s)
                ORDER BY paid_at, id LIMIT %(limit)s""", now=now, limit=batch))
        ids = [row[0] for row in self.env.cr.fetchall()]
        done = self._prro_process_ids(ids, commit)
        if len(ids) >= batch:
            self.env.ref("prro_checkbox.ir_cron_prro_send_receipts")._trigger()
        else:
            pending = self.search([("state", "in", ("to_send", "sending")), ("next_try", "!=", False)],
                                  order="next_try", limit=1)
            if pending:
                self.env.ref("prro_checkbox.ir_cron_prro_send_receipts")._trigger(pending.next_try)
        return done

    @api.model
    def _prro_process_ids(self, ids, commit):
        """Lease and send each receipt of `ids` that is still due; returns how many this worker handled."""
        done = 0
        for receipt_id in ids:
            receipt = self.browse(receipt_id)
            lang = receipt.company_id.partner_id.lang
            if lang and lang != self.env.lang:
                receipt = receipt.with_context(lang=lang)  # reasons are read by the shop's staff
            if not receipt._prro_lease():
                continue
            # the lease is a row lock until the next commit ("posted" before the call, or the outcome)
            receipt._prro_send_one(commit)
            done += 1
            commit()
        return done

    def _prro_lease(self):
        """Take this receipt for LEASE_SECONDS; False when another worker has it or it is no longer due."""
        self.ensure_one()
        now = fields.Datetime.now()
        self.env.flush_all()
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                # NOWAIT: a receipt another worker is sending right now is skipped, never waited for
                self.env.cr.execute(SQL("SELECT id FROM prro_receipt WHERE id = %s FOR UPDATE NOWAIT", self.id))
                self.env.cr.execute(SQL(
                    """UPDATE prro_receipt SET lease_until = %(until)s
                        WHERE id = %(id)s AND state IN ('to_send', 'sending')
                          AND (next_try IS NULL OR next_try <= %(now)s)
                          AND (lease_until IS NULL OR lease_until < %(now)s)
                    RETURNING id""", id=self.id, now=now, until=now + timedelta(seconds=const.LEASE_SECONDS)))
                leased = bool(self.env.cr.fetchone())
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
            leased = False  # another worker holds it, or leased (and committed) it after our snapshot
        self.invalidate_recordset(["lease_until"])
        return leased

    def _prro_send_one(self, commit=lambda: None):
        """Fiscalize one leased receipt; records the outcome on it (never raises for Checkbox errors)."""
        self.ensure_one()
        try:
            self._prro_fiscalize(commit)
        except CheckboxError as error:
            self._prro_failed(error.message, transient=error.transient)
        except (PrroBuildError, UserError) as error:
            self._prro_failed(str(error), transient=False)
        except Exception as error:
            if getattr(threading.current_thread(), "testing", False):
                raise
            # one bad receipt must not stop the batch: drop what this attempt wrote, keep the reason
            _logger.exception("PRRO receipt %s failed", self.id)
            self.env.cr.rollback()
            self.env.invalidate_all()
            self._prro_failed(repr(error), transient=True)
        self.lease_until = False

    def _prro_failed(self, message, transient):
        attempt = self.attempt_count
        if transient:
            delay = const.RETRY_DELAYS[min(attempt, len(const.RETRY_DELAYS) - 1)]
            self.write({"state": "sending" if self.posted else "to_send", "error_message": message,
                        "next_try": fields.Datetime.now() + timedelta(minutes=delay)})
        else:
            self.write({"state": "error", "error_message": message, "next_try": False})
        _logger.info("PRRO receipt %s: %s (%s)", self.id, message, "retry" if transient else "error")

    def _prro_fiscalize(self, commit):
        if not self.register_id:
            self.register_id = self.env["prro.cash.register"]._prro_default_register(self.company_id)
            if not self.register_id:
                raise PrroBuildError(self.env._("No PRRO cash register is configured for %(company)s.",
                                                company=self.company_id.name))
        api_client = self.register_id._prro_api()
        if self.posted:
            # a previous attempt may have reached Checkbox: never create a second receipt
            remote = api_client.get_receipt(self.uuid)
            if remote:
                return self._prro_apply(api_client, remote)
        if self.receipt_type in ("sell", "return") and not self.line_ids:
            raise PrroBuildError(self.error_message or self.env._("The receipt has no lines."))
        payload = self._prro_prepare_payload() if self.receipt_type in ("sell", "return") else {
            "id": self.uuid, "payment": {
                "type": "CASH", "label": self.env._("Cash"),
                "value": to_kopecks(self.amount_cash) * (1 if self.receipt_type == "service_in" else -1)}}
        shift = self.register_id._prro_ensure_shift(api_client)
        self.write({"posted": True, "attempt_count": self.attempt_count + 1, "shift_id": shift.id,
                    "state": "sending"})
        commit()  # the UUID is durably "maybe at Checkbox" before the call
        send = api_client.sell if self.receipt_type in ("sell", "return") else api_client.service
        try:
            remote = send(payload)
        except CheckboxError as error:
            remote = self._prro_recover(api_client, error, send, payload)
        return self._prro_apply(api_client, remote)

    def _prro_recover(self, api_client, error, send, payload):
        """After a failed POST: find out whether Checkbox stored the receipt; repost only when it did not."""
        if error.transient or error.code == const.CODE_RECEIPT_EXISTS:
            remote = api_client.get_receipt(self.uuid)
            if remote:
                return remote
            if error.code == const.CODE_RECEIPT_EXISTS:
                raise error
            raise error  # not stored: the next run posts again (the lookup comes first anyway)
        if error.status == 400 and any(m in (error.message or "") for m in const.MSG_NO_SHIFT):
            # the shift was closed behind our back (cabinet, another integration): open one and post again
            self.shift_id.state = "CLOSED"
            shift = self.register_id._prro_ensure_shift(api_client)
            self.shift_id = shift
            return send(payload)
        raise error

    def _prro_apply(self, api_client, remote):
        """Store a Checkbox receipt dict: poll while CREATED, then DONE -> fiscal data, ERROR -> reason."""
        if remote.get("status") not in const.RECEIPT_FINAL:
            remote = api_client.wait_receipt(self.uuid, budget=const.POLL_BUDGET, first_delay=const.POLL_FIRST_DELAY,
                                             max_delay=const.POLL_MAX_DELAY) or remote
        status = remote.get("status")
        vals = {"checkbox_status": status, "posted": True}
        if status == const.RECEIPT_DONE:
            vals.update({
                "state": "done", "error_message": False, "next_try": False,
                "fiscal_code": remote.get("fiscal_code"), "serial": remote.get("serial") or 0,
                "fiscal_date": _parse_dt(remote.get("fiscal_date")),
                "total_sum": from_kopecks(remote.get("total_sum")),
                "total_payment": from_kopecks(remote.get("total_payment")),
                "total_rest": from_kopecks(remote.get("total_rest")),
                "round_sum": from_kopecks(remote.get("round_sum")),
                "tax_url": remote.get("tax_url"), "is_created_offline": bool(remote.get("is_created_offline")),
                "email_sent": bool((remote.get("delivery") or {}).get("email")) or self.email_sent,
            })
            shift_id = (remote.get("shift") or {}).get("id")
            if shift_id and shift_id != self.shift_id.checkbox_id:
                shift = self.env["prro.shift"].search([("checkbox_id", "=", shift_id)], limit=1)
                if shift:
                    vals["shift_id"] = shift.id
            if remote.get("is_created_offline") and not self.register_id.offline_mode:
                self.register_id.sudo().offline_mode = True
            try:
                vals["receipt_text"] = api_client.receipt_text(self.uuid)
            except CheckboxError as error:
                _logger.info("PRRO receipt %s: text not fetched (%s)", self.id, error.message)
        elif status == const.RECEIPT_ERROR or status == "CANCELLED":
            transaction = remote.get("transaction") or {}
            vals.update({"state": "error", "next_try": False, "error_message": self.env._(
                "Checkbox refused the receipt: %(reason)s",
                reason=transaction.get("response_error_message") or status)})
        else:
            # still being fiscalized: look again soon (GET first, never a new POST)
            vals.update({"state": "sending", "next_try": fields.Datetime.now() + timedelta(seconds=30)})
        self.write(vals)
        return True

    # -- buttons ------------------------------------------------------------------------------
    def action_prro_retry(self):
        """Queue failed receipts again (rebuilt from their invoice/order when they never reached Checkbox)."""
        for receipt in self.filtered(lambda r: r.state in ("error", "to_send", "sending")):
            vals = {"state": "to_send" if not receipt.posted else receipt.state, "next_try": False,
                    "lease_until": False}
            if receipt.state == "error":
                vals["state"] = "to_send"
                if receipt.checkbox_status in ("ERROR", "CANCELLED"):
                    # Checkbox refuses a reused id: the new attempt is a new receipt
                    vals.update(uuid=str(uuid.uuid4()), posted=False, checkbox_status=False)
                elif receipt.posted:
                    vals["state"] = "sending"  # unknown outcome: looked up first
                if not receipt.posted or "uuid" in vals:
                    receipt._prro_rebuild()
            receipt.write(vals)
        self.env.ref("prro_checkbox.ir_cron_prro_send_receipts")._trigger()
        return True

    def _prro_rebuild(self):
        """Rebuild lines and register from the source document (after a configuration fix)."""
        self.ensure_one()
        register = self.register_id or self.env["prro.cash.register"]._prro_default_register(self.company_id)
        if not register:
            return
        try:
            if self.move_id:
                lines = self._prro_lines_from_invoice(register, self.move_id)
            elif self.sale_order_id and self.receipt_type == "sell":
                lines = self._prro_lines_from_order(register, self.sale_order_id)
            else:
                return
        except PrroBuildError as error:
            self.error_message = str(error)
            return
        self.line_ids.unlink()
        self.write({"register_id": register.id, "line_ids": [(0, 0, vals) for vals in lines],
                    "error_message": False})

    def action_prro_download_pdf(self):
        self.ensure_one()
        if self.state != "done":
            raise UserError(self.env._("Only fiscalized receipts have a PDF."))
        if not self.receipt_pdf:
            try:
                pdf = self.register_id._prro_api().receipt_pdf(self.uuid)
            except CheckboxError as error:
                raise UserError(self.env._("Checkbox: %(message)s", message=error.message)) from error
            self.receipt_pdf = base64.b64encode(pdf)
        return {"type": "ir.actions.act_url", "target": "self",
                "url": f"/web/content/prro.receipt/{self.id}/receipt_pdf/receipt-{self.uuid}.pdf?download=true"}

    def action_prro_send_email(self):
        self.ensure_one()
        if self.state != "done" or not self.email:
            raise UserError(self.env._("The receipt must be fiscalized and have an e-mail address."))
        try:
            self.register_id._prro_api().email_receipt(self.uuid, self.email)
        except CheckboxError as error:
            raise UserError(self.env._("Checkbox: %(message)s", message=error.message)) from error
        self.email_sent = True
        return True


class PrroReceiptLine(models.Model):
    _name = "prro.receipt.line"
    _description = "PRRO Receipt Line"
    _order = "receipt_id, sequence, id"

    receipt_id = fields.Many2one("prro.receipt", required=True, ondelete="cascade", index=True)
    currency_id = fields.Many2one(related="receipt_id.currency_id")
    sequence = fields.Integer()
    product_id = fields.Many2one("product.product")
    code = fields.Char(required=True)
    name = fields.Char(required=True)
    uktzed = fields.Char(string="UKTZED")
    barcode = fields.Char()
    quantity = fields.Float(digits=(16, 3), required=True)
    price_unit = fields.Monetary(string="Unit Price (tax incl.)")
    amount = fields.Monetary(string="Total")
    tax_codes = fields.Char(string="Checkbox Taxes")

