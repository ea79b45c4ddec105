import logging
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .. import const
from ..tools.nova_poshta_api import NovaPoshtaError, normalize_phone

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
        currency_field="nova_poshta_currency_id", inverse="_inverse_nova_poshta_cod_amount", copy=False,
        help="What Nova Poshta collects from the customer for this parcel (hryvnias): the value of the goods it "
             "carries, minus what the customer already paid, plus the delivery line only when the sender pays "
             "and the carrier says so. Recomputed when the waybill is created unless set by hand.")
    nova_poshta_weight = fields.Float(
        string="NP Weight (kg)", copy=False, help="Weight to declare to Nova Poshta; empty: the transfer's weight.")
    nova_poshta_seats_amount = fields.Integer(
        string="NP Seats", copy=False,
        help="Number of seats (boxes) when the transfer has no packages; 0 or 1: one seat.")
    nova_poshta_cod_manual = fields.Boolean(string="COD Set by Hand", copy=False, readonly=True)
    nova_poshta_phone = fields.Char(string="NP Recipient Phone", copy=False, readonly=True)
    nova_poshta_scan_error = fields.Char(string="NP Scan Sheet Error", copy=False, readonly=True)
    nova_poshta_tracking_error = fields.Char(string="NP Tracking Error", copy=False, readonly=True)
    nova_poshta_return_number = fields.Char(string="NP Return Waybill", copy=False, readonly=True)
    nova_poshta_origin_picking_id = fields.Many2one(
        "stock.picking", string="NP Refused Parcel", copy=False, readonly=True, index="btree_not_null")
    nova_poshta_cod_paid_date = fields.Date(string="COD Paid Out On", copy=False, readonly=True)
    nova_poshta_cod_payment_ids = fields.Many2many(
        "account.payment", "nova_poshta_picking_cod_payment_rel", "picking_id", "payment_id",
        string="COD Payments", copy=False, readonly=True)
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

    @api.depends("partner_id", "sale_id")
    def _compute_nova_poshta_address(self):
        for picking in self:
            if picking.nova_poshta_document_ref:
                continue  # the waybill is made: its destination no longer changes
            # the order's choice (made or changed on the sale order) wins over the partner's address
            source = picking.sale_id if picking.sale_id.nova_poshta_city_id else picking.partner_id
            picking.nova_poshta_city_id = source.nova_poshta_city_id
            picking.nova_poshta_warehouse_id = source.nova_poshta_warehouse_id

    @api.depends("sale_id.order_line.price_total", "sale_id.currency_id", "move_ids.product_uom_qty",
                 "move_ids.quantity", "move_ids.picked", "move_ids.state", "carrier_id.nova_poshta_cod_mode",
                 "carrier_id.nova_poshta_payer_type", "carrier_id.nova_poshta_cod_includes_delivery")
    def _compute_nova_poshta_cod_amount(self):
        for picking in self:
            if picking.nova_poshta_document_ref or picking.nova_poshta_cod_manual:
                continue  # sent, or set by hand: keep the figure
            picking.nova_poshta_cod_amount = picking._nova_poshta_cod_due()

    def _inverse_nova_poshta_cod_amount(self):
        for picking in self:
            if not picking.nova_poshta_document_ref and not self.env.context.get("nova_poshta_cod_auto"):
                picking.nova_poshta_cod_manual = True

    def _nova_poshta_refresh_cod(self):
        """Before sending: the COD from today's payments (a prepayment may have arrived since confirmation)."""
        for picking in self.filtered(lambda p: not p.nova_poshta_cod_manual and not p.nova_poshta_document_ref):
            due = picking._nova_poshta_cod_due()
            if picking.nova_poshta_currency_id.compare_amounts(due, picking.nova_poshta_cod_amount):
                picking.with_context(nova_poshta_cod_auto=True).nova_poshta_cod_amount = due

    def _create_backorder(self, backorder_moves=None):
        backorders = super()._create_backorder(backorder_moves=backorder_moves)
        # the backorder collects what the parcel sent now does not carry
        backorders.filtered(lambda p: p.carrier_id.delivery_type == "nova_poshta")._nova_poshta_refresh_cod()
        return backorders

    def _nova_poshta_move_qty(self, move):
        """Quantity of `move` this parcel carries, in the sale line's unit."""
        qty = move.quantity if move.state == "done" or move.picked else move.product_uom_qty
        return move.product_uom._compute_quantity(qty, move.sale_line_id.product_uom, rounding_method="HALF-UP")

    def _nova_poshta_goods_value(self):
        """Value (taxes included, order currency) of the goods this parcel carries, not the order total."""
        self.ensure_one()
        value = 0.0
        for move in self.move_ids.filtered(lambda m: m.state != "cancel" and m.sale_line_id):
            line = move.sale_line_id
            if line.is_delivery or not line.product_uom_qty:
                continue
            value += line.price_total / line.product_uom_qty * self._nova_poshta_move_qty(move)
        return self.sale_id.currency_id.round(value) if self.sale_id else value

    def _nova_poshta_declared_value(self):
        """Declared value on the waybill (UAH): the goods this parcel carries, never the delivery line."""
        self.ensure_one()
        carrier = self.carrier_id
        if self.sale_id:
            return carrier._nova_poshta_uah(self._nova_poshta_goods_value(), self.sale_id.currency_id,
                                            self.company_id)
        return carrier._nova_poshta_uah(sum(m.product_id.lst_price * m.quantity for m in self.move_ids),
                                        self.company_id.currency_id, self.company_id)

    def _nova_poshta_cod_parcels(self):
        """The order's outgoing Nova Poshta parcels (this one included), oldest first."""
        self.ensure_one()
        return self.sale_id.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
            and p.carrier_id.delivery_type == "nova_poshta" and not p.nova_poshta_origin_picking_id
        ).sorted("id") | self

    def _nova_poshta_cod_due(self):
        """Cash on delivery this parcel should collect, in hryvnias.

        Each parcel collects the goods it carries (partial deliveries: the backorder collects the rest). What
        the customer already paid is taken off the earliest parcels not sent yet, after what the parcels
        already sent absorbed. The delivery line goes with the first parcel, only when the carrier's rule
        includes it (sender pays).
        """
        self.ensure_one()
        carrier, order = self.carrier_id, self.sale_id
        if (carrier.delivery_type != "nova_poshta" or carrier.nova_poshta_cod_mode == "none" or not order
                or self.picking_type_code != "outgoing" or self.nova_poshta_origin_picking_id):
            return 0.0
        parcels = self._nova_poshta_cod_parcels().sorted("id")
        delivery = order._nova_poshta_delivery_value() if carrier._nova_poshta_cod_includes_delivery() else 0.0
        # one conversion rate for the whole computation (amounts are rounded at the end)
        uah_currency = self.nova_poshta_currency_id
        rate = 1.0 if not uah_currency or uah_currency == order.currency_id else order.currency_id._get_conversion_rate(
            order.currency_id, uah_currency, order.company_id, fields.Date.context_today(self))

        def uah(amount):
            return amount * rate

        due = {p.id: uah(p._nova_poshta_goods_value() + (delivery if p == parcels[:1] else 0.0))
               for p in parcels}
        prepaid = uah(order._nova_poshta_prepaid_amount())
        sent = parcels.filtered(lambda p: p.nova_poshta_document_ref and p != self)
        left = prepaid - sum(max(due[p.id] - p.nova_poshta_cod_amount, 0.0) for p in sent)
        for parcel in parcels - sent:
            absorbed = min(due[parcel.id], max(left, 0.0))
            left -= absorbed
            if parcel == self:
                return round(due[parcel.id] - absorbed, 2)
        return 0.0

    def _nova_poshta_shop_today(self):
        """The shop's day (Europe/Kyiv), whatever the server's or the user's time zone."""
        return fields.Datetime.now().replace(tzinfo=pytz.utc).astimezone(pytz.timezone(const.SHOP_TZ)).date()

    @api.model
    def _nova_poshta_day_bounds(self, day):
        """(start, end) in naive UTC of the shop's day `day` (Europe/Kyiv)."""
        tz = pytz.timezone(const.SHOP_TZ)
        start = tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)
        end = tz.localize(datetime.combine(day + timedelta(days=1), time.min)).astimezone(pytz.utc).replace(
            tzinfo=None)
        return start, end

    def _compute_nova_poshta_currency(self):
        uah = self.env.ref("base.UAH", raise_if_not_found=False)
        for picking in self:
            picking.nova_poshta_currency_id = uah or picking.company_id.currency_id

    # -- user actions -----------------------------------------------------------------
    def action_nova_poshta_update_waybill(self):
        """Send the changed branch, cash on delivery, weight or seats to the existing waybill."""
        for picking in self:
            if not picking.nova_poshta_document_ref:
                raise UserError(self.env._("%(picking)s has no Nova Poshta waybill to change.", picking=picking.name))
            picking.carrier_id._nova_poshta_update_one(picking)
        return True

    def action_nova_poshta_print_labels(self, label_format="100x100"):
        """Fetch the labels and A4 waybills of the selected pickings: one PDF per picking and form.

        :param label_format: "100x100", "85x85", "zebra" (100×100 for thermal printers) or "a4" (waybill only)
        """
        label_format = self.env.context.get("nova_poshta_label_format") or label_format
        pickings = self.filtered("nova_poshta_document_ref")
        if not pickings:
            raise UserError(self.env._("The selected transfers have no Nova Poshta waybill yet."))
        kinds = {"100x100": ("printMarking100x100", False), "85x85": ("printMarking85x85", False),
                 "zebra": ("printMarking100x100", True)}
        files = []  # (picking, name, raw): nothing is stored until every form is printed
        for carrier, group in pickings.grouped("carrier_id").items():
            api = carrier._nova_poshta_api()
            print_url = carrier._nova_poshta_endpoint("print")  # the carrier's test / production print host
            for picking in group:
                refs = [picking.nova_poshta_document_ref]
                try:
                    if label_format in kinds:
                        kind, zebra = kinds[label_format]
                        files.append((picking, f"NP-label-{label_format}-{picking.nova_poshta_number}.pdf",
                                      api.print_pdf(kind, refs, print_url, zebra=zebra)))
                    files.append((picking, f"NP-waybill-{picking.nova_poshta_number}.pdf",
                                  api.print_pdf("printDocument", refs, print_url)))
                except NovaPoshtaError as error:
                    if error.retryable:
                        # down or slow: printing writes nothing, so no error dialog - plain words, sticky, and
                        # the technical detail in the server log only (never the URL: it carries the API key)
                        _logger.warning("Nova Poshta print service unavailable (%s): %s", error.code, error.message)
                        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
                            "type": "warning", "sticky": True, "title": self.env._("Nova Poshta"),
                            "message": self.env._(
                                "Nova Poshta is unavailable right now: nothing was printed. Nothing was lost: "
                                "try again in a minute.")}}
                    # `from None`: the print URL carries the API key and must not reach a traceback
                    raise UserError(carrier._nova_poshta_error_message(error)) from None
        attachments = self.env["ir.attachment"].create([
            {"name": name, "raw": raw, "res_model": "stock.picking", "res_id": picking.id,
             "mimetype": "application/pdf"} for picking, name, raw in files])
        return {"type": "ir.actions.act_url", "target": "new",
                "url": f"/web/content/{attachments[0].id}?download=true"}

    def action_nova_poshta_scan_sheet(self):
        """Create a scan sheet (registry) with the selected pickings' waybills, per carrier.

        Only the documents Nova Poshta accepted get the scan-sheet number; the refused ones keep none and
        show the reason. Returns a notification listing both.
        """
        pickings = self.filtered(lambda p: p.nova_poshta_document_ref and not p.nova_poshta_registry_number)
        if not pickings:
            raise UserError(self.env._("Select transfers with Nova Poshta waybills that are not in a scan sheet."))
        accepted, refused = self.browse(), []
        unreachable = self.browse()
        for carrier, group in pickings.grouped("carrier_id").items():
            try:
                sheet = carrier._nova_poshta_api().insert_scan_sheet(group.mapped("nova_poshta_document_ref"))
            except NovaPoshtaError as error:
                if not _nova_poshta_no_connection(error):
                    raise UserError(carrier._nova_poshta_error_message(error)) from None
                # no connection: answered in plain words, the detail kept (in the shop's language) on the pickings
                lang_carrier = carrier._nova_poshta_in_company_lang()
                group.write({"nova_poshta_scan_error": lang_carrier._nova_poshta_error_message(error)})
                unreachable |= group
                continue
            for picking in group:
                ref = picking.nova_poshta_document_ref
                if ref in sheet["rejected"] or ref not in sheet["accepted"]:
                    reason = sheet["rejected"].get(ref) or self.env._("not accepted by Nova Poshta")
                    picking.nova_poshta_scan_error = reason
                    refused.append(f"{picking.name} ({picking.nova_poshta_number}): {reason}")
                else:
                    picking.write({"nova_poshta_registry_number": sheet.get("Number") or sheet.get("Ref"),
                                   "nova_poshta_scan_error": False})
                    accepted |= picking
        message = self.env._("%(count)s waybills put in the scan sheet %(numbers)s.", count=len(accepted),
                             numbers=", ".join(sorted(set(accepted.mapped("nova_poshta_registry_number")))) or "-")
        if refused:
            message += "\n" + self.env._("Refused by Nova Poshta:") + "\n" + "\n".join(refused)
        if unreachable:
            message += "\n" + self.env._(
                "No connection with Nova Poshta for %(count)s waybills — try again in a few minutes. The details "
                "are under NP Scan Sheet Error.", count=len(unreachable))
        problem = bool(refused or unreachable)
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"type": "warning" if problem else "success", "sticky": problem,
                           "title": self.env._("Nova Poshta"), "message": message,
                           "accepted_ids": accepted.ids,
                           "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}

    # -- tracking ------------------------------------------------------------------------
    @api.model
    def _nova_poshta_open_domain(self):
        """Waybills still followed: on their way, delivered COD parcels until the money is paid out, refused
        parcels until the return waybill is known - and none older than the tracking limit."""
        max_days = int(self.env["ir.config_parameter"].sudo().get_param(
            "nova_poshta.tracking_max_days", const.TRACKING_MAX_DAYS))
        return [
            ("carrier_id.delivery_type", "=", "nova_poshta"), ("nova_poshta_number", "!=", False),
            ("nova_poshta_waybill_date", ">=", fields.Datetime.subtract(fields.Datetime.now(), days=max_days)),
            "|", "|", ("nova_poshta_state", "in", const.OPEN_STATES),
            "&", "&", ("nova_poshta_state", "=", "delivered"), ("nova_poshta_cod_amount", ">", 0),
            ("nova_poshta_cod_received", "=", False),
            "&", ("nova_poshta_state", "=", "refused"), ("nova_poshta_return_number", "=", False),
        ]

    def _nova_poshta_tracking_phone(self):
        """The phone Nova Poshta knows for this waybill (380XXXXXXXXX): the recipient's as sent, or the
        sender's for a return waybill."""
        self.ensure_one()
        if self.nova_poshta_origin_picking_id:
            return normalize_phone(self.carrier_id.nova_poshta_sender_phone)
        return self.nova_poshta_phone or normalize_phone(self.partner_id.mobile or self.partner_id.phone)

    @api.model
    def _cron_nova_poshta_update_tracking(self, batch_size=None):
        """Track the least recently checked open waybills: `batches_per_run` requests of `batch_size` (≤ 100).

        Every picking looked at is stamped, so the next run continues with the others; when open waybills
        not checked for `nova_poshta.tracking_interval_minutes` remain, the cron is told and re-triggered.
        A carrier without a key, or a failing call, is noted on its pickings and does not stop the others.
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
            # errors, chatter notes and activities are written for the shop's staff: in the shop's language
            carrier = carrier._nova_poshta_in_company_lang()
            group = group.with_env(carrier.env)
            for start in range(0, len(group), batch_size):
                batch = group[start:start + batch_size]
                try:
                    rows = carrier._nova_poshta_api().tracking([
                        (p.nova_poshta_number, p._nova_poshta_tracking_phone()) for p in batch])
                except (NovaPoshtaError, UserError) as error:
                    reason = carrier._nova_poshta_error_message(error) if isinstance(error, NovaPoshtaError) \
                        else error.args[0]
                    _logger.warning("Nova Poshta tracking failed for %s pickings of carrier %s: %s",
                                    len(batch), carrier.id, reason)
                    batch.write({"nova_poshta_tracking_error": reason})
                    continue
                by_number = {row.get("Number"): row for row in rows}
                for picking in batch:
                    row = by_number.get(picking.nova_poshta_number)
                    if row:
                        try:
                            with self.env.cr.savepoint():
                                picking._nova_poshta_apply_status(row)
                                if picking.nova_poshta_tracking_error:
                                    picking.nova_poshta_tracking_error = False
                        except Exception as error:  # one broken picking must not block the batch
                            _logger.exception("Nova Poshta tracking: cannot update %s", picking.name)
                            picking.nova_poshta_tracking_error = str(error)[:200]
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
        """Apply one getStatusDocuments row; returns True when something changed."""
        self.ensure_one()
        code = str(row.get("StatusCode") or "")
        state = const.STATE_BY_CODE.get(code, "unknown")
        return_number = row.get("LastCreatedOnTheBasisNumber") if state in ("refused", "returned") else None
        paid = code in const.COD_PAID_CODES and self.nova_poshta_cod_amount > 0 and not self.nova_poshta_cod_received
        if code == self.nova_poshta_status_code and not paid and not (
                return_number and return_number != self.nova_poshta_return_number):
            return False
        previous_code, previous = self.nova_poshta_status_code, self.nova_poshta_state
        if code != previous_code:
            self.env["nova_poshta.tracking"].create({
                "picking_id": self.id, "status_code": code, "status": row.get("Status"), "state": state})
        self.write({"nova_poshta_state": state, "nova_poshta_status_code": code,
                    "nova_poshta_status_text": row.get("Status")})
        if state != previous:
            self._nova_poshta_follow_up(state, row)
        if state in ("refused", "returned") and not self.nova_poshta_origin_picking_id:
            self._nova_poshta_follow_return(return_number)
        if code != previous_code:
            self._nova_poshta_on_status_change(previous_code, code)
        if paid:
            self.nova_poshta_cod_received = True
            self._nova_poshta_on_cod_paid(self.nova_poshta_cod_amount, self._nova_poshta_cod_paid_on(row))
        return True

    @staticmethod
    def _nova_poshta_cod_paid_on(row):
        """Date of the money transfer (LastTransactionDateTimeGM, 'dd.mm.yyyy HH:MM:SS' or ISO), or today."""
        value = (row.get("LastTransactionDateTimeGM") or "").strip()
        for fmt in ("%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y %H:%M:%S", "%d.%m.%Y", "%Y-%m-%d"):
            try:
                return datetime.strptime(value, fmt).date()
            except ValueError:
                continue
        return fields.Date.today()

    # -- extension hooks (bridges: fiscal receipts, chatbot notifications) -------------------
    def _nova_poshta_on_status_change(self, old_code, new_code):
        """Called once per picking each time Nova Poshta reports a new status code (after it is stored).

        :param old_code: the previous StatusCode (str, or False for the first status)
        :param new_code: the new StatusCode (str); ``self.nova_poshta_state`` holds the normalised state
        Override and call super(); an exception here rolls back only this picking's update.
        """
        self.ensure_one()

    def _nova_poshta_on_cod_paid(self, amount, date):
        """Called once per picking when Nova Poshta reports the cash on delivery paid out (status 11).

        :param amount: the COD amount of the parcel, in hryvnias (``nova_poshta_currency_id``)
        :param date: the date of the money transfer (datetime.date)
        The base registers the payment on the order's open invoices (carrier's COD journal). Override and
        call super().
        """
        self.ensure_one()
        self.nova_poshta_cod_paid_date = date
        if self.sale_id:
            self.sale_id.message_post(body=self.env._(
                "Nova Poshta: the cash on delivery for waybill %(number)s (%(amount)s UAH) was paid out.",
                number=self.nova_poshta_number, amount=amount))
        return self._nova_poshta_register_cod_payment(amount, date)

    def _nova_poshta_register_cod_payment(self, amount=None, date=None):
        """Register the paid-out COD on the order's open invoices (carrier's COD journal, if set).

        Runs once per picking (with the flag that marks the COD received, in the same transaction). A
        payment that cannot be registered leaves the tracking update in place and says why on the order.
        """
        self.ensure_one()
        journal = self.carrier_id.nova_poshta_cod_journal_id
        order = self.sale_id
        amount = self.nova_poshta_cod_amount if amount is None else amount
        if not journal or not order or amount <= 0:
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
        currency, today = invoices[0].currency_id, date or fields.Date.context_today(self)
        paid_out = self.nova_poshta_currency_id._convert(amount, currency, order.company_id, today)
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
        self.nova_poshta_cod_payment_ids = [(4, payment.id) for payment in payments]
        order.message_post(body=self.env._(
            "Nova Poshta: COD payment %(payment)s of %(amount)s registered on %(invoices)s.",
            payment=", ".join(payments.mapped("name")), amount=amount,
            invoices=", ".join(invoices.mapped("name"))))
        return payments

    def _nova_poshta_follow_up(self, state, row):
        if self.nova_poshta_origin_picking_id:  # a return waybill: tell the warehouse when it is back
            if state in ("at_branch", "delivered"):
                self.activity_schedule(
                    "mail.mail_activity_data_todo", user_id=(self.user_id or self.env.user).id,
                    summary=self.env._("Nova Poshta: returned parcel is back"),
                    note=self.env._("Return waybill %(number)s: %(status)s. Collect it and validate %(name)s.",
                                    number=self.nova_poshta_number, status=row.get("Status") or "-",
                                    name=self.name))
            return
        if state == "refused":
            self.activity_schedule(
                "mail.mail_activity_data_todo", user_id=(self.sale_id.user_id or self.user_id or self.env.user).id,
                summary=self.env._("Nova Poshta: parcel refused"),
                note=self.env._("The customer refused waybill %(number)s: %(reason)s",
                                number=self.nova_poshta_number,
                                reason=row.get("UndeliveryReasonsSubtypeDescription") or row.get("Status") or "-"))
        elif state == "delivered" and self.sale_id:
            self.sale_id.message_post(body=self.env._("Nova Poshta: waybill %(number)s delivered.",
                                                      number=self.nova_poshta_number))

    def _nova_poshta_follow_return(self, return_number):
        """A refused (102/103/108) or returned (105) parcel: the return picking is created at once, and the
        return waybill Nova Poshta creates (LastCreatedOnTheBasisNumber) is tracked on it. The refused parcel
        itself stops being followed once that number is known."""
        self.ensure_one()
        returned = self.env["stock.picking"].search([("nova_poshta_origin_picking_id", "=", self.id)], limit=1)
        if not returned and self.state == "done":
            returned = self._nova_poshta_create_return()
        if return_number and return_number != self.nova_poshta_return_number:
            self.nova_poshta_return_number = return_number
            if returned:
                returned.write({
                    "carrier_id": self.carrier_id.id, "nova_poshta_number": return_number,
                    "carrier_tracking_ref": return_number, "nova_poshta_state": "created",
                    "nova_poshta_status_code": False, "nova_poshta_waybill_date": fields.Datetime.now(),
                    "nova_poshta_phone": normalize_phone(self.carrier_id.nova_poshta_sender_phone),
                })
                returned.message_post(body=self.env._("Nova Poshta return waybill %(number)s is followed here.",
                                                      number=return_number))

    def _nova_poshta_create_return(self):
        wizard = self.env["stock.return.picking"].with_context(
            active_id=self.id, active_ids=self.ids, active_model="stock.picking").create({"picking_id": self.id})
        for line in wizard.product_return_moves:
            line.quantity = line.move_id.quantity
        action = wizard.action_create_returns()
        returned = self.browse(action["res_id"])
        returned.write({"nova_poshta_origin_picking_id": self.id, "carrier_id": self.carrier_id.id,
                        "nova_poshta_cod_amount": 0.0})
        self.message_post(body=self.env._("Nova Poshta: the parcel comes back, return %(name)s created.",
                                          name=returned.name))
        return returned


def _nova_poshta_no_connection(error):
    """Nova Poshta could not be reached or did not answer (worth trying again), as opposed to a refusal."""
    code = error.code or ""
    return code in ("timeout", "network", "malformed") or code.startswith("http_5")


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


class NovaPoshtaRecipient(models.Model):
    """Recipient counterparty / contact refs per carrier, phone and name: repeat customers cost no call."""

    _name = "nova_poshta.recipient"
    _description = "Nova Poshta Recipient"

    carrier_id = fields.Many2one("delivery.carrier", required=True, ondelete="cascade", index=True)
    key = fields.Char(required=True, index=True)
    counterparty_ref = fields.Char(required=True)
    contact_ref = fields.Char(required=True)

    _sql_constraints = [("carrier_key_uniq", "unique(carrier_id, key)", "This recipient is already known.")]

    @api.model
    def _nova_poshta_key(self, phone, last, first, middle, edrpou=""):
        return "|".join([phone or "", (last or "").lower(), (first or "").lower(), (middle or "").lower(),
                         edrpou or ""])

    @api.model
    def _nova_poshta_remember(self, carrier, key, counterparty_ref, contact_ref):
        self.env.cr.execute(SQL(
            "INSERT INTO nova_poshta_recipient (carrier_id, key, counterparty_ref, contact_ref, create_uid, "
            "write_uid, create_date, write_date) VALUES (%s, %s, %s, %s, %s, %s, now() at time zone 'UTC', "
            "now() at time zone 'UTC') ON CONFLICT (carrier_id, key) DO UPDATE SET "
            "counterparty_ref = EXCLUDED.counterparty_ref, contact_ref = EXCLUDED.contact_ref",
            carrier.id, key, counterparty_ref, contact_ref, self.env.uid, self.env.uid))
        self.invalidate_model()
