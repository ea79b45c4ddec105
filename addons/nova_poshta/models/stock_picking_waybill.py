"""Waybills made after the delivery is validated: an outbox on the picking, sent by a cron.

Validating a delivery never calls Nova Poshta: the picking is marked "queued" in the validation's own
transaction (what can be checked without Nova Poshta is checked there) and the cron "Nova Poshta: create
waybills" is triggered; it runs as soon as that transaction commits. The cron takes a batch of due pickings,
each in its own transaction: claimed ("creating"), sent with the carrier's usual `send_to_shipper` (which
looks the waybill up first when an earlier attempt's answer was lost, so a picking never gets two
waybills), then "done", or "error" with the reason - retried later after a network failure, left for
"Retry now" after a refusal by Nova Poshta.
"""

import logging
import threading
from datetime import timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .. import const
from ..exceptions import NovaPoshtaUserError

_logger = logging.getLogger(__name__)

WAYBILL_STATES = [("queued", "Queued"), ("creating", "Creating"), ("done", "Created"), ("error", "Error")]


class StockPicking(models.Model):
    _inherit = "stock.picking"

    nova_poshta_waybill_state = fields.Selection(
        WAYBILL_STATES, string="NP Waybill State", copy=False, readonly=True, index=True,
        help="Queued: the waybill is created in a moment, after the validation. Creating: Nova Poshta is being "
             "asked now. Error: see the reason; with a next try it is retried by itself, without one press "
             "'Retry now' once the cause is fixed.")
    nova_poshta_waybill_error = fields.Char(string="NP Waybill Error", copy=False, readonly=True)
    nova_poshta_waybill_next_try = fields.Datetime(string="NP Next Try", copy=False, readonly=True)
    nova_poshta_waybill_tries = fields.Integer(string="NP Waybill Tries", copy=False, readonly=True)

    # -- validation: queue, never call ------------------------------------------------------
    def _send_confirmation_email(self):
        # stock_delivery sends the parcel to the carrier from here (send_to_shipper): Nova Poshta waybills
        # are queued instead, so the validation neither waits on nor fails because of Nova Poshta
        return super(StockPicking, self.with_context(nova_poshta_queue_waybill=True))._send_confirmation_email()

    def send_to_shipper(self):
        self.ensure_one()
        if self.carrier_id.delivery_type != "nova_poshta":
            return super().send_to_shipper()
        if self.env.context.get("nova_poshta_queue_waybill") and not self.nova_poshta_document_ref:
            self._nova_poshta_queue_waybills()
            return None
        had_waybill = bool(self.nova_poshta_document_ref)
        result = super().send_to_shipper()
        if self.nova_poshta_document_ref and not had_waybill:
            self._nova_poshta_on_waybill_created()
        return result

    def _nova_poshta_on_waybill_created(self):
        """Called once per picking right after its waybill was created (at any time: before the validation by
        a marketplace flow, or after it by the waybill cron), once `carrier_tracking_ref` is set and the
        result posted. Bridges override it (call super()) to tell the customer, push the number, etc."""
        self.ensure_one()

    def _nova_poshta_queue_waybills(self):
        """Mark the pickings' waybills to be created after commit and trigger the cron.

        What needs no call to Nova Poshta (recipient, branch, phone, sender, locker size) is checked now: bad
        input is refused at once with a translated UserError, nothing half-written.
        :return: the pickings queued
        """
        todo = self.filtered(lambda p: p.carrier_id.delivery_type == "nova_poshta" and not p.nova_poshta_document_ref
                             and p.nova_poshta_waybill_state not in const.WAYBILL_IN_PROGRESS)
        for picking in todo:
            picking.carrier_id._nova_poshta_check_picking(picking)
        if todo:
            todo.write({"nova_poshta_waybill_state": "queued", "nova_poshta_waybill_error": False,
                        "nova_poshta_waybill_next_try": fields.Datetime.now(), "nova_poshta_waybill_tries": 0})
            self.env.ref("nova_poshta.ir_cron_nova_poshta_create_waybills").sudo()._trigger()
        return todo

    # -- user actions -------------------------------------------------------------------------
    def action_nova_poshta_create_waybills(self):
        """Batch action / button: queue the missing waybills; one picking with bad data does not stop the
        others. The waybills are created right after this click's transaction commits (see the module doc)."""
        pickings = self.filtered(lambda p: p.is_nova_poshta and not p.nova_poshta_document_ref)
        if not pickings:
            raise UserError(self.env._("None of the selected transfers needs a Nova Poshta waybill."))
        return pickings._nova_poshta_queue_each()

    def action_nova_poshta_retry_waybill(self):
        """'Retry now' on a waybill in error: queued again at once (the cron runs right after this click)."""
        pickings = self.filtered(lambda p: p.nova_poshta_waybill_state == "error" and not p.nova_poshta_document_ref)
        if not pickings:
            raise UserError(self.env._("None of the selected transfers has a Nova Poshta waybill in error."))
        return pickings._nova_poshta_queue_each()

    def _nova_poshta_queue_each(self):
        """Queue each picking in its own savepoint (one with bad data does not stop the others); the answer."""
        queued, failed = self.browse(), []
        for picking in self:
            try:
                with self.env.cr.savepoint():
                    queued |= picking._nova_poshta_queue_waybills()
            except UserError as error:
                failed.append(f"{picking.name}: {error.args[0]}")
        return self._nova_poshta_queued_answer(queued, failed)

    def _nova_poshta_queued_answer(self, queued, failed):
        message = self.env._("%(count)s Nova Poshta waybills queued, %(failed)s not queued. They are created in a "
                             "moment; the state is shown on each transfer.", count=len(queued), failed=len(failed))
        if failed:
            message += "\n" + "\n".join(failed)
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"type": "warning" if failed else "success", "sticky": bool(failed),
                           "title": self.env._("Nova Poshta"), "message": message, "queued_ids": queued.ids,
                           "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}

    # -- the cron -------------------------------------------------------------------------------
    @api.model
    def _nova_poshta_waybill_due_domain(self, now=None):
        return [("nova_poshta_waybill_state", "in", const.WAYBILL_PENDING),
                ("nova_poshta_waybill_next_try", "<=", now or fields.Datetime.now())]

    @api.model
    def _cron_nova_poshta_create_waybills(self, limit=None):
        """Create the queued waybills that are due: a batch, one picking per transaction (committed outside
        tests), a failing picking marked with its reason and skipped. Re-triggers itself while due pickings
        remain, and for the earliest retry.

        :return: number of waybills created
        """
        params = self.env["ir.config_parameter"].sudo()
        limit = limit or int(params.get_param("nova_poshta.waybill_batch", const.WAYBILL_BATCH))
        testing = getattr(threading.current_thread(), "testing", False)
        pickings = self.search(self._nova_poshta_waybill_due_domain(), order="nova_poshta_waybill_next_try, id",
                               limit=limit)
        created = 0
        for picking in pickings:
            if picking._nova_poshta_create_queued_waybill():
                created += 1
            if not testing:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # cron: one picking per transaction
        cron = self.env.ref("nova_poshta.ir_cron_nova_poshta_create_waybills")
        remaining = self.search_count(self._nova_poshta_waybill_due_domain())
        self.env["ir.cron"]._notify_progress(done=len(pickings), remaining=remaining)
        if remaining:
            cron._trigger()
        else:
            later = self.search([("nova_poshta_waybill_state", "in", const.WAYBILL_PENDING),
                                 ("nova_poshta_waybill_next_try", "!=", False)],
                                order="nova_poshta_waybill_next_try", limit=1)
            if later:
                cron._trigger(at=later.nova_poshta_waybill_next_try)
        return created

    def _nova_poshta_create_queued_waybill(self):
        """Create this queued picking's waybill; True when created. Never raises for Nova Poshta's sake."""
        self.ensure_one()
        testing = getattr(threading.current_thread(), "testing", False)
        # claim it: a picking another worker or a click is processing right now is left for later
        self.env.cr.execute(SQL("SELECT id FROM stock_picking WHERE id = %s FOR UPDATE SKIP LOCKED", self.id))
        if not self.env.cr.fetchone():
            return False
        self.invalidate_recordset()
        now = fields.Datetime.now()
        if (self.nova_poshta_waybill_state not in const.WAYBILL_PENDING
                or not self.nova_poshta_waybill_next_try or self.nova_poshta_waybill_next_try > now):
            return False  # retried or done meanwhile
        if self.nova_poshta_document_ref or self.state == "cancel" or self.carrier_id.delivery_type != "nova_poshta":
            # made meanwhile (a marketplace flow, the cabinet import), or nothing to ship any more
            self.write({"nova_poshta_waybill_state": "done" if self.nova_poshta_document_ref else False,
                        "nova_poshta_waybill_next_try": False, "nova_poshta_waybill_error": False})
            return False
        self.write({"nova_poshta_waybill_state": "creating",
                    "nova_poshta_waybill_next_try": now + timedelta(seconds=const.WAYBILL_LEASE_SECONDS),
                    "nova_poshta_waybill_tries": self.nova_poshta_waybill_tries + 1})
        if not testing:
            self.env.cr.commit()  # pylint: disable=invalid-commit  # the "creating" state is seen at once
        # texts written in the background (chatter, reason) are in the shop's language
        lang = (self.company_id or self.env.company).partner_id.lang
        picking = self.with_context(nova_poshta_queue_waybill=False, **({"lang": lang} if lang else {}))
        try:
            with self.env.cr.savepoint():
                picking.send_to_shipper()
        except NovaPoshtaUserError as error:
            picking._nova_poshta_waybill_failed(error.args[0], error.retryable)
            return False
        except (UserError, ValidationError) as error:
            picking._nova_poshta_waybill_failed(error.args[0] if error.args else str(error), False)
            return False
        except Exception as error:  # a bug or a database hiccup: this picking waits, the batch goes on
            _logger.exception("Nova Poshta: the waybill of %s could not be created", self.name)
            picking._nova_poshta_waybill_failed(str(error)[:200], True)
            return False
        return True

    def _nova_poshta_waybill_failed(self, reason, retryable):
        """Keep the reason on the picking, plan the next try (network failures only), say it in the chatter
        once per new reason."""
        self.ensure_one()
        tries = max(self.nova_poshta_waybill_tries, 1)
        delays = const.WAYBILL_RETRY_MINUTES
        next_try = False
        if retryable and tries < const.WAYBILL_MAX_TRIES:
            next_try = fields.Datetime.now() + timedelta(minutes=delays[min(tries, len(delays)) - 1])
        new_reason = reason != self.nova_poshta_waybill_error
        self.write({"nova_poshta_waybill_state": "error", "nova_poshta_waybill_error": reason,
                    "nova_poshta_waybill_next_try": next_try})
        if new_reason or not next_try:
            if next_try:
                at = pytz.utc.localize(next_try).astimezone(pytz.timezone(const.SHOP_TZ)).strftime("%H:%M")
                body = self.env._("Nova Poshta waybill not created yet (next try at %(time)s): %(reason)s",
                                  reason=reason, time=at)
            else:
                body = self.env._("Nova Poshta waybill not created: %(reason)s — fix the cause, then press "
                                  "'Retry now'.", reason=reason)
            self.message_post(body=body, subtype_xmlid="mail.mt_note")
        _logger.info("Nova Poshta: waybill of %s failed (%s, retry at %s)", self.name,
                     "retryable" if retryable else "refused", next_try or "-")
