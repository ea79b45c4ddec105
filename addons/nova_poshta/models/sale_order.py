from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    nova_poshta_risk = fields.Float(related="partner_id.nova_poshta_risk", string="COD Refusal Risk (%)")
    nova_poshta_cod_parcels = fields.Integer(related="partner_id.nova_poshta_cod_parcels")
    # where this order goes: taken from the delivery address, then the order's own choice (changing it here
    # never writes the customer's address record)
    nova_poshta_city_id = fields.Many2one(
        "nova_poshta.city", string="Nova Poshta City", compute="_compute_nova_poshta_destination", store=True,
        readonly=False, precompute=True)
    nova_poshta_warehouse_id = fields.Many2one(
        "nova_poshta.warehouse", string="Nova Poshta Branch", compute="_compute_nova_poshta_destination",
        store=True, readonly=False, precompute=True, domain="[('city_id', '=', nova_poshta_city_id)]")

    @api.depends("partner_shipping_id")
    def _compute_nova_poshta_destination(self):
        for order in self:
            order.nova_poshta_city_id = order.partner_shipping_id.nova_poshta_city_id
            order.nova_poshta_warehouse_id = order.partner_shipping_id.nova_poshta_warehouse_id

    @api.onchange("nova_poshta_city_id")
    def _onchange_nova_poshta_city_id(self):
        if self.nova_poshta_warehouse_id.city_id != self.nova_poshta_city_id:
            self.nova_poshta_warehouse_id = False

    def write(self, vals):
        res = super().write(vals)
        if {"nova_poshta_city_id", "nova_poshta_warehouse_id"} & set(vals):
            # changed after confirmation: the pickings without a waybill follow the order
            pickings = self.picking_ids.filtered(
                lambda p: p.state not in ("done", "cancel") and not p.nova_poshta_document_ref)
            for picking in pickings:
                picking.write({"nova_poshta_city_id": picking.sale_id.nova_poshta_city_id.id,
                               "nova_poshta_warehouse_id": picking.sale_id.nova_poshta_warehouse_id.id})
        return res

    # -- pickup location (website checkout's location selector) ----------------------------
    def _set_pickup_location(self, pickup_location_data):
        res = super()._set_pickup_location(pickup_location_data)
        self._nova_poshta_take_pickup_location()
        return res

    def _nova_poshta_take_pickup_location(self):
        """The branch chosen in the location selector becomes the order's destination."""
        for order in self.filtered(lambda o: o.carrier_id.delivery_type == "nova_poshta" and o.pickup_location_data):
            warehouse = self.env["nova_poshta.warehouse"].sudo().browse(
                int(order.pickup_location_data.get("id") or 0)).exists()
            if warehouse:
                order.write({"nova_poshta_city_id": warehouse.city_id.id, "nova_poshta_warehouse_id": warehouse.id})

    def _action_confirm(self):
        nova_poshta = self.filtered(lambda o: o.carrier_id.delivery_type == "nova_poshta" and o.pickup_location_data)
        nova_poshta._nova_poshta_take_pickup_location()
        # the branch is kept on the order: no delivery address is created from it (the customer's addresses
        # stay as they are)
        nova_poshta.pickup_location_data = False
        return super()._action_confirm()

    # -- money -------------------------------------------------------------------------
    def _nova_poshta_goods_lines(self):
        return self.order_line.filtered(lambda line: not line.is_delivery and not line.display_type)

    def _nova_poshta_goods_value(self):
        """Value of the order's goods, taxes included, in the order's currency (no delivery line)."""
        self.ensure_one()
        return sum(self._nova_poshta_goods_lines().mapped("price_total"))

    def _nova_poshta_delivery_value(self):
        self.ensure_one()
        return sum(self.order_line.filtered("is_delivery").mapped("price_total"))

    def _nova_poshta_prepaid_amount(self):
        """What the customer already paid for this order, in the order's currency, cash on delivery excluded.

        Counts the paid part of the posted invoices (minus the COD payouts this module registered) and the
        online payments (authorized or done transactions); the larger figure wins as both may describe the
        same money. Bridges (e.g. a marketplace's "paid online" flag) extend this method.
        """
        self.ensure_one()
        invoiced = 0.0
        for move in self.invoice_ids.filtered(lambda m: m.state == "posted"):
            sign = 1 if move.move_type == "out_invoice" else -1 if move.move_type == "out_refund" else 0
            paid = move.amount_total - move.amount_residual
            invoiced += sign * move.currency_id._convert(paid, self.currency_id, self.company_id,
                                                         fields.Date.context_today(self))
        cod_paid = 0.0
        for picking in self.picking_ids.filtered("nova_poshta_cod_payment_ids"):
            for payment in picking.nova_poshta_cod_payment_ids:
                cod_paid += payment.currency_id._convert(payment.amount, self.currency_id, self.company_id,
                                                         payment.date)
        online = sum(
            tx.currency_id._convert(tx.amount, self.currency_id, self.company_id, fields.Date.context_today(self))
            for tx in self.transaction_ids if tx.state in ("authorized", "done"))
        return max(invoiced - cod_paid, online, 0.0)

    def _nova_poshta_cod_estimate(self, carrier):
        """Cash on delivery of the whole order for a quote, in the order's currency."""
        self.ensure_one()
        due = self._nova_poshta_goods_value()
        if carrier._nova_poshta_cod_includes_delivery():
            due += self._nova_poshta_delivery_value()
        return max(due - self._nova_poshta_prepaid_amount(), 0.0)
