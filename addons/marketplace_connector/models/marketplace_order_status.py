import logging
import threading
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import const
from ..tools.marketplace_api import MarketplaceError

_logger = logging.getLogger(__name__)


class MarketplaceOrderStatus(models.Model):
    """Outbox of status / waybill updates for the marketplaces.

    A row is written in the same transaction as the business change (order confirmed, delivery validated,
    waybill entered, order cancelled) and sent after commit by ``_cron_send_status``: a warehouse user never
    waits on the marketplace, a rollback never leaves a status sent for a change that did not happen, and a
    marketplace that is down gets the update later (retries with growing delays).
    """

    _name = "marketplace.order.status"
    _description = "Marketplace Status Update"
    _order = "id desc"

    binding_id = fields.Many2one("marketplace.order", required=True, ondelete="cascade", index=True,
                                 string="Marketplace Order")
    channel_id = fields.Many2one(related="binding_id.channel_id", store=True)
    company_id = fields.Many2one(related="binding_id.company_id", store=True)
    event = fields.Selection([
        ("confirmed", "Confirmed"), ("shipped", "Shipped"), ("waybill", "Waybill"), ("delivered", "Delivered"),
        ("cancelled", "Cancelled"),
    ], required=True)
    ttn = fields.Char(string="Waybill")
    reason = fields.Char()
    state = fields.Selection([
        ("pending", "Pending"), ("sent", "Sent"), ("refused", "Refused"), ("failed", "Failed"),
    ], default="pending", required=True, index=True,
        help="Pending: waiting to be sent (or retried after a failure). Sent: the marketplace accepted it. "
             "Refused: the marketplace refused it (reason shown). Failed: given up after the retries.")
    attempts = fields.Integer(readonly=True)
    next_attempt = fields.Datetime(default=fields.Datetime.now, index=True, readonly=True)
    last_error = fields.Char(readonly=True)
    sent_date = fields.Datetime(readonly=True)
    marketplace_status = fields.Char(string="Status Code at the Marketplace", readonly=True)
    marketplace_status_label = fields.Selection(
        const.ORDER_STATUS_SELECTION, string="Status at the Marketplace", compute="_compute_marketplace_status_label")

    @api.depends("marketplace_status", "binding_id.channel_type")
    def _compute_marketplace_status_label(self):
        for row in self:
            row.marketplace_status_label = const.order_status_key(row.binding_id.channel_type, row.marketplace_status)

    @api.model
    def _queue(self, bindings, event, ttn=None, reason=None):
        """Queue one update per binding (skipped when the same one is already waiting) and wake the cron."""
        rows = self.browse()
        for binding in bindings:
            pending = binding.status_ids.filtered(
                lambda s, binding=binding: s.state == "pending" and s.event == event and (s.ttn or None) == ttn)
            if pending:
                continue
            rows |= self.sudo().create({"binding_id": binding.id, "event": event, "ttn": ttn or False,
                                        "reason": reason or False})
        if rows:
            self._trigger_send()
        return rows

    def _trigger_send(self, at=None):
        cron = self.env.ref("marketplace_connector.ir_cron_marketplace_send_status", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at)

    def action_retry(self):
        self.write({"state": "pending", "next_attempt": fields.Datetime.now(), "attempts": 0})
        self._trigger_send()
        return True

    @api.model
    def _cron_send_status(self, limit=None):
        """Send the due updates, oldest first, one transaction per update (commit outside tests), each
        binding's updates in order: a later update waits while an earlier one of the same order is pending."""
        testing = getattr(threading.current_thread(), "testing", False)
        rows = self.search([("state", "=", "pending")], order="id", limit=limit or const.STATUS_BATCH)
        now = fields.Datetime.now()
        blocked = set()
        for row in rows:
            if row.binding_id.id in blocked:
                continue
            if row.next_attempt and row.next_attempt > now:
                blocked.add(row.binding_id.id)
                continue
            row = row.with_context(lang=row.binding_id.channel_id._company_lang())
            row._send()
            if row.state == "pending":
                blocked.add(row.binding_id.id)
            if not testing:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # cron: one update per transaction
        later = self.search([("state", "=", "pending")], order="next_attempt", limit=1)
        if later:
            self._trigger_send(max(later.next_attempt, now) if later.next_attempt else now)

    def _send(self):
        for row in self.filtered(lambda r: r.state == "pending"):
            binding = row.binding_id
            channel = binding.channel_id
            try:
                adapter = channel._get_adapter()
            except UserError as error:  # channel misconfigured (credentials): shown on the row
                row.write({"state": "refused", "last_error": error.args[0], "attempts": row.attempts + 1})
                continue
            try:
                with self.env.cr.savepoint():
                    cancel = row.event == "cancelled"  # the reason chosen on the order, never the buyer's
                    status = adapter.set_order_status(
                        binding.external_id, row.event, ttn=row.ttn or None,
                        reason=row.reason or (binding.cancel_reason if cancel else None) or None,
                        cancel_text=(binding.cancel_note or None) if cancel else None)
                    row._mark_sent(status)
            except MarketplaceError as error:
                row._mark_error(error)
                channel._record_error(error)
            finally:
                channel._flush_logs(adapter)

    def _mark_sent(self, status):
        self.ensure_one()
        self.write({"state": "sent", "sent_date": fields.Datetime.now(), "marketplace_status": status,
                    "last_error": False, "attempts": self.attempts + 1})
        binding = self.binding_id
        vals = {"marketplace_status": status, "last_status_sent": self.event}
        if self.event == "cancelled":
            vals["state"] = "cancelled"  # shown as cancelled only once the marketplace accepted it
        if self.ttn:
            vals["ttn"] = self.ttn
        binding.write(vals)

    def _mark_error(self, error):
        self.ensure_one()
        attempts = self.attempts + 1
        if not error.retryable:
            self.write({"state": "refused", "last_error": error.message, "attempts": attempts})
            return
        delays = const.STATUS_RETRY_DELAYS
        if attempts > len(delays):
            self.write({"state": "failed", "last_error": error.message, "attempts": attempts})
            return
        self.write({"last_error": error.message, "attempts": attempts,
                    "next_attempt": fields.Datetime.now() + timedelta(seconds=delays[attempts - 1])})
