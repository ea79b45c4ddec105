import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .. import const
from ..tools.nova_poshta_api import NovaPoshtaError

_logger = logging.getLogger(__name__)

NOVA_POSHTA_STATES = [
    ("created", "Waybill created"), ("in_transit", "In transit"), ("at_branch", "At the branch"),
    ("delivered", "Delivered"), ("refused", "Refused"), ("returned", "Returned"),
    ("deleted", "Deleted"), ("not_found", "Not found"), ("unknown", "Unknown"),
]


class StockPicking(models.Model):
    _inherit = "stock.picking"

    is_nova_poshta = fields.Boolean(compute="_compute_is_nova_poshta")
    nova_poshta_city_id = fields.Many2one(
        "nova_poshta.city", string="NP City", compute="_compute_nova_poshta_address", store=True, readonly=False)
    nova_poshta_warehouse_id = fields.Many2one(
        "nova_poshta.warehouse", string="NP Branch", compute="_compute_nova_poshta_address", store=True,
        readonly=False, domain="[('city_id', '=', nova_poshta_city_id)]")
    nova_poshta_cod_amount = fields.Monetary(
        string="Cash on Delivery", compute="_compute_nova_poshta_cod_amount", store=True, readonly=False,
        currency_field="nova_poshta_currency_id")
    nova_poshta_currency_id = fields.Many2one("res.currency", compute="_compute_nova_poshta_currency")
    nova_poshta_client_ref = fields.Char(copy=False, readonly=True, index=True)
    nova_poshta_document_ref = fields.Char(string="NP Document Ref", copy=False, readonly=True)
    nova_poshta_number = fields.Char(string="NP Waybill", copy=False, readonly=True, index=True)
    nova_poshta_cost = fields.Float(string="NP Cost", copy=False, readonly=True)
    nova_poshta_waybill_date = fields.Datetime(string="NP Waybill Created", copy=False, readonly=True, index=True)
    nova_poshta_estimated_date = fields.Date(string="NP Estimated Delivery", copy=False, readonly=True)
    nova_poshta_state = fields.Selection(NOVA_POSHTA_STATES, string="NP Status", copy=False, readonly=True,
                                         index=True)
    nova_poshta_status_code = fields.Char(copy=False, readonly=True)
    nova_poshta_status_text = fields.Char(string="NP Status Text", copy=False, readonly=True)
    nova_poshta_checked_at = fields.Datetime(string="NP Status Checked", copy=False, readonly=True)
    nova_poshta_cod_received = fields.Boolean(string="COD Received", copy=False, readonly=True)
    nova_poshta_registry_number = fields.Char(string="NP Scan Sheet", copy=False, readonly=True)
    nova_poshta_history_ids = fields.One2many("nova_poshta.tracking", "picking_id", string="NP Status History")

    @api.depends("carrier_id.delivery_type")
    def _compute_is_nova_poshta(self):
        for picking in self:
            picking.is_nova_poshta = picking.carrier_id.delivery_type == "nova_poshta"

    @api.depends("partner_id")
    def _compute_nova_poshta_address(self):
        for picking in self:
            partner = picking.partner_id
            picking.nova_poshta_city_id = partner.nova_poshta_city_id
            picking.nova_poshta_warehouse_id = partner.nova_poshta_warehouse_id

    @api.depends("sale_id.amount_total", "sale_id.currency_id", "carrier_id.nova_poshta_cod_mode")
    def _compute_nova_poshta_cod_amount(self):
        for picking in self:
            carrier, order = picking.carrier_id, picking.sale_id
            cod = carrier.delivery_type == "nova_poshta" and carrier.nova_poshta_cod_mode != "none"
            # shown and sent in hryvnias, whatever the order's currency
            picking.nova_poshta_cod_amount = carrier._nova_poshta_uah(
                order.amount_total, order.currency_id, order.company_id) if cod and order else 0.0

    def _compute_nova_poshta_currency(self):
        uah = self.env.ref("base.UAH", raise_if_not_found=False)
        for picking in self:
            picking.nova_poshta_currency_id = uah or picking.company_id.currency_id

    # -- user actions -----------------------------------------------------------------
    def action_nova_poshta_create_waybills(self):
        """Batch action: create the missing waybills; one failing picking does not stop the others."""
        pickings = self.filtered(lambda p: p.is_nova_poshta and not p.nova_poshta_document_ref)
        if not pickings:
            raise UserError(self.env._("None of the selected transfers needs a Nova Poshta waybill."))
        done, failed = self.browse(), []
        for picking in pickings:
            try:
                with self.env.cr.savepoint():
                    picking.send_to_shipper()
                done |= picking
            except UserError as error:
                failed.append(f"{picking.name}: {error}")
        message = self.env._("%(count)s Nova Poshta waybills created.", count=len(done))
        if failed:
            message += "\n" + "\n".join(failed)
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"type": "warning" if failed else "success", "sticky": bool(failed),
                           "title": self.env._("Nova Poshta"), "message": message}}

    def action_nova_poshta_print_labels(self):
        """Fetch the 100x100 labels and A4 waybills of the selected pickings and attach them."""
        pickings = self.filtered("nova_poshta_document_ref")
        if not pickings:
            raise UserError(self.env._("The selected transfers have no Nova Poshta waybill yet."))
        attachments = self.env["ir.attachment"]
        for carrier, group in pickings.grouped("carrier_id").items():
            refs = group.mapped("nova_poshta_document_ref")
            try:
                api = carrier._nova_poshta_api()
                label = api.print_pdf("printMarking100x100", refs, self._nova_poshta_print_url())
                document = api.print_pdf("printDocument", refs, self._nova_poshta_print_url())
            except NovaPoshtaError as error:
                raise UserError(carrier._nova_poshta_error_message(error)) from error
            for picking in group:
                attachments |= self.env["ir.attachment"].create([
                    {"name": f"NP-label-{picking.nova_poshta_number}.pdf", "raw": label, "res_model": "stock.picking",
                     "res_id": picking.id, "mimetype": "application/pdf"},
                    {"name": f"NP-waybill-{picking.nova_poshta_number}.pdf", "raw": document,
                     "res_model": "stock.picking", "res_id": picking.id, "mimetype": "application/pdf"},
                ])
        return {"type": "ir.actions.act_url", "target": "new",
                "url": f"/web/content/{attachments[0].id}?download=true"}

    def _nova_poshta_print_url(self):
        return self.env["ir.config_parameter"].sudo().get_param("nova_poshta.print_url") or const.PRINT_URL

    def action_nova_poshta_scan_sheet(self):
        """Create a scan sheet (registry) with the selected pickings' waybills, per carrier."""
        pickings = self.filtered(lambda p: p.nova_poshta_document_ref and not p.nova_poshta_registry_number)
        if not pickings:
            raise UserError(self.env._("Select transfers with Nova Poshta waybills that are not in a scan sheet."))
        for carrier, group in pickings.grouped("carrier_id").items():
            try:
                sheet = carrier._nova_poshta_api().insert_scan_sheet(group.mapped("nova_poshta_document_ref"))
            except NovaPoshtaError as error:
                raise UserError(carrier._nova_poshta_error_message(error)) from error
            group.write({"nova_poshta_registry_number": sheet.get("Number") or sheet.get("Ref")})
        return True

    # -- tracking ------------------------------------------------------------------------
    @api.model
    def _nova_poshta_open_domain(self):
        return [("carrier_id.delivery_type", "=", "nova_poshta"), ("nova_poshta_number", "!=", False),
                ("nova_poshta_state", "in", const.OPEN_STATES)]

    @api.model
    def _cron_nova_poshta_update_tracking(self, batch_size=None):
        """Track the least recently checked open waybills: `batches_per_run` requests of `batch_size` (≤ 100).

        Every picking looked at is stamped, so the next run continues with the others; when open waybills
        not checked for `nova_poshta.tracking_interval_minutes` remain, the cron is told and re-triggered.
        """
        params = self.env["ir.config_parameter"].sudo()
        batch_size = min(batch_size or int(params.get_param("nova_poshta.tracking_batch",
                                                            const.TRACKING_BATCH_SIZE)), const.TRACKING_BATCH_SIZE)
        batches = int(params.get_param("nova_poshta.tracking_batches_per_run", 10))
        interval = int(params.get_param("nova_poshta.tracking_interval_minutes", 30))
        now = fields.Datetime.now()
        pickings = self.search(self._nova_poshta_open_domain(),
                               order="nova_poshta_checked_at asc nulls first, id", limit=batch_size * batches)
        for carrier, group in pickings.grouped("carrier_id").items():
            for start in range(0, len(group), batch_size):
                batch = group[start:start + batch_size]
                try:
                    rows = carrier._nova_poshta_api().tracking([
                        (p.nova_poshta_number, p.partner_id.mobile or p.partner_id.phone) for p in batch])
                except NovaPoshtaError as error:
                    _logger.warning("Nova Poshta tracking failed for %s pickings: %s", len(batch), error.message)
                    continue
                by_number = {row.get("Number"): row for row in rows}
                for picking in batch:
                    row = by_number.get(picking.nova_poshta_number)
                    if row:
                        try:
                            with self.env.cr.savepoint():
                                picking._nova_poshta_apply_status(row)
                        except Exception:  # one broken picking must not block the batch
                            _logger.exception("Nova Poshta tracking: cannot update %s", picking.name)
        # failed batches are stamped too: they are retried on the next run, not in a loop now
        pickings.write({"nova_poshta_checked_at": now})
        remaining = self.search_count(self._nova_poshta_open_domain() + [
            "|", ("nova_poshta_checked_at", "=", False),
            ("nova_poshta_checked_at", "<", fields.Datetime.subtract(now, minutes=interval))])
        self.env["ir.cron"]._notify_progress(done=len(pickings), remaining=remaining)
        if remaining:
            self.env.ref("nova_poshta.ir_cron_nova_poshta_tracking")._trigger()
        return len(pickings)

    def _nova_poshta_apply_status(self, row):
        self.ensure_one()
        code = str(row.get("StatusCode") or "")
        state = const.STATE_BY_CODE.get(code, "unknown")
        if code == self.nova_poshta_status_code and self.nova_poshta_cod_received == (code in const.COD_PAID_CODES):
            return False
        previous = self.nova_poshta_state
        self.env["nova_poshta.tracking"].create({
            "picking_id": self.id, "status_code": code, "status": row.get("Status"), "state": state})
        vals = {"nova_poshta_state": state, "nova_poshta_status_code": code,
                "nova_poshta_status_text": row.get("Status")}
        if code in const.COD_PAID_CODES and not self.nova_poshta_cod_received:
            vals["nova_poshta_cod_received"] = True
        self.write(vals)
        if vals.get("nova_poshta_cod_received") and self.sale_id:
            self.sale_id.message_post(body=self.env._(
                "Nova Poshta: the cash on delivery for waybill %(number)s (%(amount)s UAH) was paid out.",
                number=self.nova_poshta_number, amount=self.nova_poshta_cod_amount))
            self._nova_poshta_register_cod_payment()
        if state != previous:
            self._nova_poshta_follow_up(state, row)
        return True

    def _nova_poshta_register_cod_payment(self):
        """Register the paid-out COD on the order's open invoices (carrier's COD journal, if set).

        Runs once per picking (with the flag that marks the COD received, in the same transaction). A
        payment that cannot be registered leaves the tracking update in place and says why on the order.
        """
        self.ensure_one()
        journal = self.carrier_id.nova_poshta_cod_journal_id
        order = self.sale_id
        if not journal or not order or self.nova_poshta_cod_amount <= 0:
            return self.env["account.payment"]
        invoices = order.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
            and m.payment_state in ("not_paid", "partial"))
        if not invoices:
            order.message_post(body=self.env._(
                "Nova Poshta: no open posted invoice for waybill %(number)s; register the COD payment by hand.",
                number=self.nova_poshta_number))
            return self.env["account.payment"]
        # the COD is in hryvnias: convert it to the invoices' currency; never pay more than is due
        currency, today = invoices[0].currency_id, fields.Date.context_today(self)
        paid_out = self.nova_poshta_currency_id._convert(self.nova_poshta_cod_amount, currency, order.company_id, today)
        amount = currency.round(min(paid_out, sum(invoices.mapped("amount_residual"))))
        try:
            with self.env.cr.savepoint():
                wizard = self.env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=invoices.ids).create({
                        "journal_id": journal.id, "amount": amount, "group_payment": True,
                        "payment_date": today,
                        "communication": self.env._("Nova Poshta COD %(number)s", number=self.nova_poshta_number),
                    })
                payments = wizard._create_payments()
        except (UserError, ValidationError) as error:
            order.message_post(body=self.env._(
                "Nova Poshta: the COD payment for waybill %(number)s could not be registered: %(error)s",
                number=self.nova_poshta_number, error=error.args[0] if error.args else error))
            return self.env["account.payment"]
        order.message_post(body=self.env._(
            "Nova Poshta: COD payment %(payment)s of %(amount)s registered on %(invoices)s.",
            payment=", ".join(payments.mapped("name")), amount=amount,
            invoices=", ".join(invoices.mapped("name"))))
        return payments

    def _nova_poshta_follow_up(self, state, row):
        if state == "refused":
            self.activity_schedule(
                "mail.mail_activity_data_todo", user_id=(self.sale_id.user_id or self.user_id or self.env.user).id,
                summary=self.env._("Nova Poshta: parcel refused"),
                note=self.env._("The customer refused waybill %(number)s: %(reason)s",
                                number=self.nova_poshta_number,
                                reason=row.get("UndeliveryReasonsSubtypeDescription") or row.get("Status") or "-"))
        elif state == "returned" and self.state == "done":
            self._nova_poshta_create_return()
        elif state == "delivered" and self.sale_id:
            self.sale_id.message_post(body=self.env._("Nova Poshta: waybill %(number)s delivered.",
                                                      number=self.nova_poshta_number))

    def _nova_poshta_create_return(self):
        wizard = self.env["stock.return.picking"].with_context(
            active_id=self.id, active_ids=self.ids, active_model="stock.picking").create({"picking_id": self.id})
        for line in wizard.product_return_moves:
            line.quantity = line.move_id.quantity
        action = wizard.action_create_returns()
        returned = self.browse(action["res_id"])
        self.message_post(body=self.env._("Nova Poshta returned the parcel: return %(name)s created.",
                                          name=returned.name))
        return returned


class NovaPoshtaTracking(models.Model):
    _name = "nova_poshta.tracking"
    _description = "Nova Poshta Status History"
    _order = "create_date desc, id desc"

    picking_id = fields.Many2one("stock.picking", required=True, ondelete="cascade", index=True)
    status_code = fields.Char(required=True)
    status = fields.Char()
    state = fields.Selection(NOVA_POSHTA_STATES)


class NovaPoshtaAttempt(models.Model):
    """Waybill requests sent to Nova Poshta, written in their own transaction (see delivery_carrier)."""

    _name = "nova_poshta.attempt"
    _description = "Nova Poshta Waybill Attempt"
    _log_access = False

    picking_key = fields.Integer(required=True, index=True)
    client_ref = fields.Char(required=True)
    create_date = fields.Datetime()
    write_date = fields.Datetime()

    @api.autovacuum
    def _gc_old_attempts(self):
        self.env.cr.execute(SQL("DELETE FROM nova_poshta_attempt WHERE create_date < now() - interval '60 days'"))
