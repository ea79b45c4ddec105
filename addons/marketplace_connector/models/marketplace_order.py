import json
import logging

from odoo import api, fields, models
from odoo.tools import SQL, mute_logger

from ..tools.marketplace_api import MarketplaceError
from ..tools.phone import normalize_phone

_logger = logging.getLogger(__name__)


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
    marketplace_status = fields.Char(readonly=True)
    date_order = fields.Datetime(string="Ordered On")
    customer_name = fields.Char()
    phone = fields.Char()
    email = fields.Char()
    city = fields.Char()
    np_branch = fields.Char(string="Nova Poshta Branch")
    delivery_address = fields.Char()
    payment_type = fields.Char()
    currency_id = fields.Many2one(related="channel_id.currency_id", string="Marketplace Currency")
    amount_total = fields.Monetary(currency_field="currency_id")
    commission = fields.Monetary(currency_field="currency_id")
    commission_order_currency = fields.Float(
        compute="_compute_commission_order_currency", store=True,
        string="Commission (Order Currency)", help="The commission in the sale order's currency, for the channel P&L.")
    ttn = fields.Char(string="Waybill")
    payload = fields.Text(readonly=True)
    last_status_sent = fields.Char(readonly=True, copy=False)
    status_error = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        ("channel_external_uniq", "unique(channel_id, external_id)",
         "This marketplace order was already imported for the channel."),
    ]

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

    # -- import ------------------------------------------------------------------------------
    @api.model
    def _import_from_marketplace(self, channel, data):
        """Create or update the binding (and its sale order) for one marketplace Order dataclass.

        Idempotent: the (channel, external id) pair is unique; a re-import updates the binding.
        """
        vals = {
            "channel_id": channel.id, "external_id": data.external_id, "marketplace_status": data.status,
            "date_order": data.created or False, "customer_name": data.customer_name, "phone": data.phone,
            "email": data.email, "city": data.city, "np_branch": data.np_branch,
            "delivery_address": data.delivery_address, "payment_type": data.payment_type,
            "amount_total": data.total,
            "commission": data.commission or round(data.total * channel.commission_percent / 100, 2),
            "ttn": data.ttn, "payload": json.dumps(data.raw, ensure_ascii=False, default=str)[:100000],
        }
        self.env.cr.execute(SQL(
            "SELECT id FROM marketplace_order WHERE channel_id = %s AND external_id = %s FOR UPDATE",
            channel.id, data.external_id))
        row = self.env.cr.fetchone()
        binding = self.browse(row[0]) if row else self.create(vals)
        if row:
            binding.write(vals)
        if binding.sale_order_id or binding.state == "cancelled":
            binding._sync_marketplace_cancel(data)
            return binding
        binding._create_sale_order(data)
        return binding

    def _sync_marketplace_cancel(self, data):
        if data.status in ("canceled", "45", "13") and self.sale_order_id and self.sale_order_id.state != "cancel":
            self.sale_order_id.with_context(marketplace_no_status=True, disable_cancel_warning=True)._action_cancel()
            self.state = "cancelled"

    def _match_partner(self, data):
        Partner = self.env["res.partner"]
        phone = normalize_phone(data.phone)
        partner = Partner.browse()
        if phone:
            partner = Partner.search(["|", ("phone", "in", [phone, data.phone]),
                                      ("mobile", "in", [phone, data.phone])], limit=1)
        if not partner and data.email:
            partner = Partner.search([("email", "=ilike", data.email)], limit=1)
        if not partner:
            partner = Partner.create({"name": data.customer_name, "phone": phone or data.phone,
                                      "email": data.email or False, "city": data.city or False})
        return partner

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

    def _create_sale_order(self, data):
        self.ensure_one()
        channel = self.channel_id
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
        free = channel._free_quantities(products)
        short = [p.display_name for p in products if p.is_storable and free.get(p.id, 0.0) < needed[p.id]]
        if short:
            self.write({"state": "exception", "exception_reason": "out_of_stock", "exception_message": self.env._(
                "Not enough free stock for: %(products)s. Stock 0 was sent to every channel.",
                products=", ".join(short))})
            self.env["marketplace.offer"].search([("product_id", "in", products.ids)]).write({"dirty": True})
            for other in self.env["marketplace.channel"].search([]):  # stock 0 to every channel at once
                other._push_dirty_offers()
            return
        partner = self._match_partner(data)
        # marketplace prices are in the channel's currency; the order is in its pricelist's
        order_currency = channel.pricelist_id.currency_id or channel.company_id.currency_id
        order = self.env["sale.order"].with_context(marketplace_no_status=True).create({
            "partner_id": partner.id, "company_id": channel.company_id.id,
            "warehouse_id": channel.warehouse_id.id, "team_id": channel.team_id.id or False,
            "pricelist_id": channel.pricelist_id.id or False, "client_order_ref": self.name,
            "marketplace_order_id": self.id,
            "note": self.env._("Delivery: %(city)s, Nova Poshta branch %(branch)s. Payment: %(payment)s",
                               city=data.city or "-", branch=data.np_branch or "-", payment=data.payment_type or "-"),
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": line.quantity,
                                   "price_unit": channel._convert_amount(
                                       line.price, channel.currency_id, order_currency)}) for product, line in mapped],
        })
        order.with_context(marketplace_no_status=True).action_confirm()
        self.write({"sale_order_id": order.id, "state": "imported", "exception_reason": False,
                    "exception_message": False})
        self._send_status("confirmed")

    def action_retry(self):
        """Retry exception orders (after mapping the offers or receiving stock)."""
        for binding in self.filtered(lambda b: b.state == "exception" and not b.sale_order_id):
            from ..tools.marketplace_api import Order, OrderLine

            raw = json.loads(binding.payload or "{}")
            adapter_cls = type(binding.channel_id._get_adapter())
            data = adapter_cls._parse_order(raw) if raw else Order(
                external_id=binding.external_id, created="", changed="", status="", customer_name="",
                phone="", email="", lines=[OrderLine("", "", "", 0, 0)])
            binding._create_sale_order(data)
        return True

    # -- status back -----------------------------------------------------------------------
    def _send_status(self, event, ttn=None, reason=None):
        for binding in self:
            channel = binding.channel_id
            adapter = channel._get_adapter()
            try:
                status = adapter.set_order_status(binding.external_id, event, ttn=ttn, reason=reason,
                                                  current=binding.marketplace_status)
                binding.write({"marketplace_status": status, "last_status_sent": event, "status_error": False})
            except MarketplaceError as error:
                binding.write({"status_error": error.message})
                channel._record_error(error)
            finally:
                channel._flush_logs(adapter)
