from odoo import api, fields, models


class MarketplaceOffer(models.Model):
    _name = "marketplace.offer"
    _description = "Marketplace Offer"
    _order = "channel_id, name, id"
    _check_company_auto = True

    channel_id = fields.Many2one("marketplace.channel", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="channel_id.company_id", store=True)
    product_id = fields.Many2one("product.product", string="Product", index=True, check_company=True)
    external_id = fields.Char(string="Marketplace ID", required=True)
    name = fields.Char()
    sku = fields.Char(string="SKU", index=True)
    barcode = fields.Char()
    dirty = fields.Boolean(default=True, index=True, help="Stock or price changed since the last push.")
    last_quantity = fields.Integer(string="Last Sent Quantity", readonly=True)
    last_price = fields.Float(string="Last Sent Price", readonly=True)
    last_push = fields.Datetime(readonly=True)
    push_error = fields.Char(readonly=True)
    matched = fields.Boolean(compute="_compute_matched", store=True)

    _sql_constraints = [
        ("channel_external_uniq", "unique(channel_id, external_id)",
         "This marketplace offer is already mapped on the channel."),
    ]

    @api.depends("product_id")
    def _compute_matched(self):
        for offer in self:
            offer.matched = bool(offer.product_id)

    @api.model
    def _mark_dirty(self, products):
        """Mark the offers of these products dirty on every channel and wake the push cron."""
        if not products:
            return
        self.env.cr.execute(
            "UPDATE marketplace_offer SET dirty = true WHERE product_id = ANY(%s) AND dirty IS NOT true",
            [list(products.ids)])
        newly_dirty = self.env.cr.rowcount
        self.env.cr.execute(
            "UPDATE marketplace_channel SET feed_dirty = true WHERE feed_dirty IS NOT true AND id IN "
            "(SELECT channel_id FROM marketplace_offer WHERE product_id = ANY(%s))", [list(products.ids)])
        self.invalidate_model(["dirty"])
        self.env["marketplace.channel"].invalidate_model(["feed_dirty"])
        if newly_dirty:
            self.env["marketplace.channel"]._trigger_push()
