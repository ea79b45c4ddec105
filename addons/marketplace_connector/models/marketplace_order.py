import json
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, email_normalize, mute_logger

from .. import const
from ..tools.phone import normalize_phone

_logger = logging.getLogger(__name__)


class MarketplaceOutOfStock(Exception):
    """Raised inside the order's savepoint when its lines cannot all be reserved: everything is rolled back."""

    def __init__(self, products):
        super().__init__("out of stock")
        self.products = products


class MarketplaceOrder(models.Model):
    _name = "marketplace.order"
    _description = "Marketplace Order"
    _order = "date_order desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    channel_id = fields.Many2one("marketplace.channel", required=True, ondelete="restrict", index=True)
    channel_type = fields.Selection(related="channel_id.channel_type", store=True)
    company_id = fields.Many2one(related="channel_id.company_id", store=True)
    external_id = fields.Char(string="Marketplace Order", required=True)
    sale_order_id = fields.Many2one("sale.order", index=True, check_company=True, copy=False)
    state = fields.Selection([
        ("imported", "Imported"), ("exception", "Exception"), ("cancelled", "Cancelled"),
    ], default="imported", required=True, index=True)
    exception_reason = fields.Selection([
        ("unmapped", "Unmapped lines"), ("out_of_stock", "Out of stock"), ("error", "Error"),
    ])
    exception_message = fields.Text()
    marketplace_status = fields.Char(string="Marketplace Status Code", readonly=True,
                                     help="The status code as the marketplace sent it.")
    marketplace_status_label = fields.Selection(
        const.ORDER_STATUS_SELECTION, string="Marketplace Status", compute="_compute_marketplace_status_label",
        store=True, help="The marketplace's status of the order, in words.")
    marketplace_failed = fields.Boolean(
        string="Unsuccessful at the Marketplace", readonly=True,
        help="The marketplace reports the order as cancelled or failed: it is never confirmed as a sale.")
    allowed_statuses = fields.Char(
        readonly=True, help="Statuses the marketplace lets the order move to, as it last reported them.")
    date_order = fields.Datetime(string="Ordered On")
    customer_name = fields.Char()
    phone = fields.Char()
    email = fields.Char()
    city = fields.Char()
    np_branch = fields.Char(string="Nova Poshta Branch")
    delivery_address = fields.Char()
    delivery_provider = fields.Char(readonly=True, help="The carrier as the marketplace names it (Prom: a code).")
    delivery_provider_label = fields.Selection(
        list(const.DELIVERY_PROVIDER_LABELS.items()), string="Carrier", compute="_compute_delivery_provider_label")
    payment_type = fields.Char()
    paid_online = fields.Boolean(
        readonly=True, help="The buyer paid through the marketplace (card / marketplace payment), not on delivery.")
    cancel_reason = fields.Selection([
        ("not_available", "Not available"), ("price_changed", "Price changed"),
        ("buyers_request", "Buyer's request"), ("not_enough_fields", "Not enough data"), ("duplicate", "Duplicate"),
        ("invalid_phone_number", "Invalid phone number"), ("less_than_minimal_price", "Below the minimal order"),
        ("another", "Other"),
    ], string="Cancellation Reason", copy=False,
        help="Reported to the marketplace when the order is cancelled in Odoo. Empty: a seller's cancellation "
             "('another' on Prom; 'not available' on Rozetka, which has no generic seller status), never the "
             "buyer's.")
    cancel_note = fields.Char(string="Cancellation Note", copy=False,
                              help="Explanation sent with the cancellation (Prom cancellation_text, Rozetka comment).")
    currency_id = fields.Many2one(related="channel_id.currency_id", string="Marketplace Currency")
    amount_total = fields.Monetary(currency_field="currency_id")
    paid_amount = fields.Monetary(currency_field="currency_id", readonly=True)
    commission = fields.Monetary(currency_field="currency_id")
    commission_order_currency = fields.Float(
        compute="_compute_commission_order_currency", store=True,
        string="Commission (Order Currency)", help="The commission in the sale order's currency, for the channel P&L.")
    ttn = fields.Char(string="Waybill")
    payload = fields.Text(readonly=True)
    status_ids = fields.One2many("marketplace.order.status", "binding_id", string="Status Updates")
    status_state = fields.Selection(
        [("pending", "Pending"), ("sent", "Sent"), ("refused", "Refused"), ("failed", "Failed")],
        string="Marketplace Update", compute="_compute_status_state", store=True,
        help="State of the last status / waybill update sent to the marketplace.")
    last_status_sent = fields.Char(readonly=True, copy=False)
    status_error = fields.Char(compute="_compute_status_state", store=True, readonly=True, copy=False)

    _sql_constraints = [
        ("channel_external_uniq", "unique(channel_id, external_id)",
         "This marketplace order was already imported for the channel."),
    ]

    @api.depends("marketplace_status", "channel_type")
    def _compute_marketplace_status_label(self):
        for binding in self:
            binding.marketplace_status_label = const.order_status_key(binding.channel_type, binding.marketplace_status)

    @api.depends("delivery_provider")
    def _compute_delivery_provider_label(self):
        for binding in self:
            code = binding.delivery_provider
            binding.delivery_provider_label = code if code in const.DELIVERY_PROVIDER_LABELS else False

    @api.depends("channel_id.name", "external_id")
    def _compute_name(self):
        for order in self:
            order.name = f"{order.channel_id.name} #{order.external_id}"

    @api.depends("commission", "sale_order_id.currency_id", "channel_id.currency_id")
    def _compute_commission_order_currency(self):
        for binding in self:
            order, source = binding.sale_order_id, binding.channel_id.currency_id
            if not order or not source or source == order.currency_id:
                binding.commission_order_currency = binding.commission
            else:
                binding.commission_order_currency = source._convert(
                    binding.commission, order.currency_id, order.company_id,
                    fields.Date.to_date(order.date_order) or fields.Date.context_today(binding))

    @api.depends("status_ids.state", "status_ids.last_error")
    def _compute_status_state(self):
        for binding in self:
            last = binding.status_ids.sorted("id")[-1:]
            binding.status_state = last.state or False
            binding.status_error = last.last_error if last.state in ("pending", "refused", "failed") else False

    # -- import ------------------------------------------------------------------------------
    def _prepare_binding_vals(self, channel, data):
        """Binding values from one marketplace Order dataclass (overridable)."""
        return {
            "channel_id": channel.id, "external_id": data.external_id, "marketplace_status": data.status,
            "marketplace_failed": data.failed,
            "allowed_statuses": ",".join(str(s) for s in data.allowed_statuses)
            if data.allowed_statuses is not None else False,
            "date_order": data.created or False, "customer_name": data.customer_name, "phone": data.phone,
            "email": data.email, "city": data.city, "np_branch": data.np_branch,
            "delivery_address": data.delivery_address, "delivery_provider": data.delivery_provider,
            "payment_type": data.payment_type, "paid_online": data.paid_online, "paid_amount": data.paid_amount,
            "amount_total": data.total,
            "commission": data.commission or round(data.total * channel.commission_percent / 100, 2),
            "ttn": data.ttn, "payload": json.dumps(data.raw, ensure_ascii=False, default=str)[:100000],
        }

    @api.model
    def _import_from_marketplace(self, channel, data):
        """Create or update the binding (and its sale order) for one marketplace Order dataclass.

        Idempotent: the (channel, external id) pair is unique; a re-import updates the binding. An order the
        marketplace reports as unsuccessful is never confirmed, and one already confirmed is cancelled.
        """
        if data.parse_error:
            raise UserError(self.env._("The marketplace's data for this order cannot be read: %(error)s",
                                       error=data.parse_error))
        vals = self._prepare_binding_vals(channel, data)
        self.env.cr.execute(SQL(
            "SELECT id FROM marketplace_order WHERE channel_id = %s AND external_id = %s FOR UPDATE",
            channel.id, data.external_id))
        row = self.env.cr.fetchone()
        binding = self.browse(row[0]) if row else self.create(vals)
        if row:
            binding.write(vals)
        if data.failed:
            binding._apply_marketplace_failure()
        elif not binding.sale_order_id and binding.state != "cancelled":
            binding._create_sale_order(data)
        return binding

    def _apply_marketplace_failure(self):
        """The marketplace cancelled (or failed) the order: release the reservation, take it out of the P&L
        (cancelled sale order, cancelled binding) and drop the updates still waiting to be sent."""
        for binding in self:
            order = binding.sale_order_id
            if order and order.state != "cancel":
                order.with_context(marketplace_no_status=True, disable_cancel_warning=True)._action_cancel()
            binding.status_ids.filtered(lambda s: s.state == "pending").write(
                {"state": "refused", "last_error": self.env._("The order was cancelled at the marketplace.")})
            binding.write({"state": "cancelled", "exception_reason": False, "exception_message": False})

    def _match_partner(self, data):
        """The customer: same normalised phone (phone_sanitized) or exactly the same e-mail; else a new one."""
        Partner = self.env["res.partner"]
        partner = Partner.browse()
        phone = normalize_phone(data.phone)
        if data.phone:
            keys = {phone, Partner._phone_format(number=data.phone, country=self._ua_country())} - {None, False}
            if keys:
                partner = Partner.search([("phone_sanitized", "in", list(keys))], limit=1, order="id")
        email = (data.email or "").strip()
        if not partner and email:
            normalized = email_normalize(email)  # exact address, never a LIKE pattern
            if normalized:
                partner = Partner.search([("email_normalized", "=", normalized)], limit=1, order="id")
        if not partner:
            partner = Partner.create(self._prepare_partner_vals(data, phone))
        return partner

    def _ua_country(self):
        return self.env.ref("base.ua", raise_if_not_found=False) or self.env.company.country_id

    def _prepare_partner_vals(self, data, phone):
        return {"name": data.customer_name, "phone": phone or data.phone, "email": data.email or False,
                "city": data.city or False, "country_id": self._ua_country().id or False}

    def _map_lines(self, data):
        """Return ([(product, line)], [unmapped line names])."""
        ids = [line.external_offer_id for line in data.lines if line.external_offer_id]
        skus = [line.sku for line in data.lines if line.sku]
        offers = self.env["marketplace.offer"].search([
            ("channel_id", "=", self.channel_id.id), "|", ("external_id", "in", ids), ("sku", "in", skus)])
        by_id = {o.external_id: o.product_id for o in offers if o.product_id}
        by_sku = {o.sku: o.product_id for o in offers if o.product_id and o.sku}
        mapped, unmapped = [], []
        for line in data.lines:
            product = by_id.get(line.external_offer_id) or by_sku.get(line.sku)
            if not product and line.sku:
                product = self.env["product.product"].search([("default_code", "=", line.sku)], limit=1)
            if product:
                mapped.append((product, line))
            else:
                unmapped.append(line.name or line.sku or line.external_offer_id)
        return mapped, unmapped

    def _lock_products(self, products):
        """Serialize concurrent imports of the same products (sorted ids: no deadlock)."""
        for product_id in sorted(products.ids):
            self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, %s)", 7341, product_id))
        # row locks on the quants: under REPEATABLE READ a concurrent committed reservation makes this
        # fail with a serialization error instead of letting us read a stale free quantity. That error is the
        # expected outcome of a race (the caller retries in a new transaction): keep it out of the error log.
        with mute_logger("odoo.sql_db"):
            self.env.cr.execute(SQL(
                "SELECT id FROM stock_quant WHERE product_id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
                list(products.ids)))

    def _prepare_sale_line_vals(self, product, line, order_currency):
        """One sale line. Marketplace prices are what the buyer pays, taxes included: the line carries the
        price-included version of the product's taxes, so Odoo's taxes never add to it."""
        channel = self.channel_id
        taxes = product.taxes_id.filtered(lambda t: t.company_id == channel.company_id)
        return {"product_id": product.id, "product_uom_qty": line.quantity,
                "price_unit": channel._convert_amount(line.price, channel.currency_id, order_currency),
                "tax_id": [(6, 0, channel._tax_included_taxes(taxes).ids)]}

    def _prepare_sale_order_vals(self, data, partner, mapped):
        channel = self.channel_id
        # marketplace prices are in the channel's currency; the order is in its pricelist's
        order_currency = channel.pricelist_id.currency_id or channel.company_id.currency_id
        return {
            "partner_id": partner.id, "company_id": channel.company_id.id,
            "warehouse_id": channel.warehouse_id.id, "team_id": channel.team_id.id or False,
            "pricelist_id": channel.pricelist_id.id or False, "client_order_ref": self.name,
            "marketplace_order_id": self.id,
            "note": self.env._("Delivery: %(city)s, Nova Poshta branch %(branch)s. Payment: %(payment)s",
                               city=data.city or "-", branch=data.np_branch or "-", payment=data.payment_type or "-"),
            "order_line": [(0, 0, self._prepare_sale_line_vals(product, line, order_currency))
                           for product, line in mapped],
        }

    def _create_sale_order(self, data):
        """Confirm a sale order for the marketplace order, or put the binding in exception.

        The order, its reservation and the binding's link are written in one savepoint: when the stock cannot be
        reserved (whatever the warehouse's reservation method) nothing of it is left behind.
        """
        self.ensure_one()
        mapped, unmapped = self._map_lines(data)
        if unmapped or not mapped:
            self.write({"state": "exception", "exception_reason": "unmapped", "exception_message": self.env._(
                "No product is mapped to: %(lines)s", lines=", ".join(unmapped) or "-")})
            return
        products = self.env["product.product"].browse([p.id for p, _line in mapped])
        self._lock_products(products)
        needed = {}
        for product, line in mapped:
            needed[product.id] = needed.get(product.id, 0.0) + line.quantity
        free = self.channel_id._free_quantities(products)
        short = products.filtered(lambda p: p.is_storable and free.get(p.id, 0.0) < needed[p.id])
        if not short:
            try:
                with self.env.cr.savepoint():
                    self._confirm_sale_order(data, mapped)
                return
            except MarketplaceOutOfStock as error:
                short = error.products
        self._set_out_of_stock(short)

    def _confirm_sale_order(self, data, mapped):
        partner = self._match_partner(data)
        order = self.env["sale.order"].with_context(marketplace_no_status=True).create(
            self._prepare_sale_order_vals(data, partner, mapped))
        order.with_context(marketplace_no_status=True).action_confirm()
        self._reserve(order)
        self.write({"sale_order_id": order.id, "state": "imported", "exception_reason": False,
                    "exception_message": False})
        self._queue_status("confirmed")

    def _reserve(self, order):
        """Reserve the order's stock explicitly: the warehouse may reserve manually or only before the scheduled
        date, and then confirming alone would let two marketplace orders take the same unit.

        :raises MarketplaceOutOfStock: some storable line could not be reserved in full.
        """
        moves = order.picking_ids.move_ids.filtered(
            lambda m: m.product_id.is_storable and m.state not in ("done", "cancel") and not m.move_orig_ids)
        moves.filtered(lambda m: m.state != "assigned")._action_assign()
        short = moves.filtered(lambda m: m.state != "assigned").product_id
        if short:
            raise MarketplaceOutOfStock(short)

    def _set_out_of_stock(self, products):
        self.write({"state": "exception", "exception_reason": "out_of_stock", "exception_message": self.env._(
            "Not enough free stock for: %(products)s. Stock 0 was sent to every channel.",
            products=", ".join(products.mapped("display_name")))})
        self.env["marketplace.offer"].search([("product_id", "in", products.ids)]).write({"dirty": True})
        for other in self.env["marketplace.channel"].search([]):  # stock 0 to every channel at once
            other._push_dirty_offers()

    @api.model
    def _record_import_error(self, channel, data, error):
        """The order could not be converted (its savepoint was rolled back): keep a visible exception binding
        with the reason, so the channel goes on with the next orders."""
        detail = f"{type(error).__name__}: {error}"
        message = error.args[0] if isinstance(error, UserError) else self.env._(
            "Unexpected error: %(error)s", error=detail)
        binding = self.search([("channel_id", "=", channel.id), ("external_id", "=", data.external_id)])
        vals = {"exception_message": message}
        if not binding:
            binding = self.create(dict(self._prepare_binding_vals(channel, data), state="exception",
                                       exception_reason="error", **vals))
        elif not binding.sale_order_id and binding.state != "cancelled":
            binding.write(dict(vals, state="exception", exception_reason="error"))
        else:
            binding.write(vals)
        return binding

    def action_retry(self):
        """Retry exception orders (after mapping the offers or receiving stock); answers with the counts
        and reloads the view so the new state shows at once. An order the marketplace has cancelled
        meanwhile is never confirmed."""
        retried = self.filtered(lambda b: b.state == "exception" and not b.sale_order_id)
        for binding in retried:
            binding = binding.with_context(lang=binding.channel_id._company_lang())  # stored for the staff
            if binding.marketplace_failed:
                binding._apply_marketplace_failure()
                continue
            from ..tools.marketplace_api import Order, OrderLine

            raw = json.loads(binding.payload or "{}")
            parsed = binding.channel_id._get_adapter()._parse_orders([raw]) if raw else []
            data = parsed[0] if parsed else Order(
                external_id=binding.external_id, created="", changed="", status="", customer_name="",
                phone="", email="", lines=[OrderLine("", "", "", 0, 0)])
            if data.failed:
                binding._apply_marketplace_failure()
                continue
            if data.parse_error:
                binding.exception_message = binding.env._(
                    "The marketplace's data for this order cannot be read: %(error)s", error=data.parse_error)
                continue
            binding._create_sale_order(data)
        imported = retried.filtered(lambda b: b.state == "imported")
        message = self.env._("Retried %(count)s orders: %(imported)s imported, %(exceptions)s still in exception.",
                             count=len(retried), imported=len(imported), exceptions=len(retried - imported))
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "success" if retried and imported == retried else "warning",
            "title": self.env._("Marketplace orders"), "message": message, "sticky": False,
            "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}

    # -- data for other modules (waybills, fiscal receipts) -------------------------------------
    def _get_delivery_data(self):
        """Delivery as the marketplace gave it, for carrier bridges (waybill creation).

        :return: dict with recipient name and phone, city, Nova Poshta branch, address, carrier code, the
            cash-on-delivery amount (0 when paid online) and the marketplace currency.
        """
        self.ensure_one()
        return {"recipient_name": self.customer_name or "",
                "recipient_phone": normalize_phone(self.phone) or self.phone or "",
                "city": self.city or "", "branch": self.np_branch or "", "address": self.delivery_address or "",
                "provider": self.delivery_provider or "", "cod_amount": 0.0 if self._is_paid_online()
                else self.amount_total, "currency": self.currency_id.name}

    def _is_paid_online(self):
        """True when the buyer already paid through the marketplace (fiscal bridges issue the receipt)."""
        self.ensure_one()
        return bool(self.paid_online)

    def _get_paid_amount(self):
        self.ensure_one()
        return self.paid_amount if self.paid_online else 0.0

    # -- status back (outbox) --------------------------------------------------------------
    def _queue_status(self, event, ttn=None, reason=None):
        """Queue a status update for the marketplace in the current transaction; the outbox cron sends it
        after commit (never an HTTP call inside the caller's transaction)."""
        return self.env["marketplace.order.status"]._queue(self, event, ttn=ttn, reason=reason)

    def _queue_waybill(self, ttn):
        """Queue the carrier waybill number for the marketplace (carrier bridges call this)."""
        bindings = self.filtered(lambda b: b.state != "cancelled" and ttn and b.ttn != ttn)
        bindings.write({"ttn": ttn})
        return bindings._queue_status("waybill", ttn=ttn)

    def action_retry_status(self):
        """Queue the refused / given-up updates again (after fixing the cause, e.g. the waybill number)."""
        self.status_ids.filtered(lambda s: s.state in ("refused", "failed")).action_retry()
        return True
