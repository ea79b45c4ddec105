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
        """Record that the stock of these products changed and wake the push cron.

        Stock operations only INSERT into marketplace_stock_event: they never update offer rows the push
        cron is writing, so concurrent pushes cannot lose a change nor make a stock move fail. The cron
        turns the events it sees into dirty offers and deletes exactly those events (see _cron_push_stock).
        """
        if not products:
            return
        self.env.cr.execute(
            "INSERT INTO marketplace_stock_event (product_id) SELECT unnest(%s::int[])", [list(products.ids)])
        cron = self.env.ref("marketplace_connector.ir_cron_marketplace_push_stock", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()


class MarketplaceStockEvent(models.Model):
    _name = "marketplace.stock.event"
    _description = "Marketplace Stock Change"
    _log_access = False

    product_id = fields.Integer(required=True, index=True)

    @api.model
    def _consume(self):
        """Turn the pending stock changes into dirty offers (and dirty feeds); return the count consumed."""
        self.env.cr.execute("SELECT max(id) FROM marketplace_stock_event")
        max_id = self.env.cr.fetchone()[0]
        if not max_id:
            return 0
        self.env.cr.execute(
            "SELECT DISTINCT product_id FROM marketplace_stock_event WHERE id <= %s", [max_id])
        product_ids = [row[0] for row in self.env.cr.fetchall()]
        offers = self.env["marketplace.offer"].sudo().search([("product_id", "in", product_ids)])
        offers.filtered(lambda o: not o.dirty).write({"dirty": True})
        offers.channel_id.filtered(lambda c: not c.feed_dirty).write({"feed_dirty": True})
        self.env.cr.execute("DELETE FROM marketplace_stock_event WHERE id <= %s", [max_id])
        return len(product_ids)
