from odoo import api, fields, models

PENDING_KEY = "marketplace_connector.changed"  # cr.precommit.data key: {(product id, channel id or 0)}


class MarketplaceOffer(models.Model):
    _name = "marketplace.offer"
    _description = "Marketplace Offer"
    _order = "channel_id, name, id"
    _check_company_auto = True

    channel_id = fields.Many2one("marketplace.channel", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="channel_id.company_id", store=True)
    product_id = fields.Many2one("product.product", string="Product", index=True, check_company=True)
    external_id = fields.Char(
        string="Marketplace ID", required=True,
        help="Id the marketplace's API updates the offer by (Rozetka rz_item_id, Prom product id).")
    feed_offer_id = fields.Char(
        string="Feed Offer ID", copy=False,
        help="Offer id of this listing in the seller's price list (Rozetka price_offer_id, Prom external_id). "
             "The YML feed keeps it so an existing catalogue is not renumbered; empty: the product's id.")
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

    @api.model_create_multi
    def create(self, vals_list):
        offers = super().create(vals_list)
        offers.channel_id._bump_feed_version()
        if offers.filtered(lambda o: o.product_id and o.dirty):
            offers.channel_id._trigger_push()  # a hand-mapped offer goes out at once
        return offers

    def write(self, vals):
        if {"product_id", "external_id"} & set(vals) and "dirty" not in vals:
            # new mapping or corrected id: push at once, and forget the error of the old mapping
            vals = dict(vals, dirty=True, push_error=False)
        channels = self.channel_id
        result = super().write(vals)
        if {"product_id", "external_id", "feed_offer_id", "channel_id"} & set(vals):
            (channels | self.channel_id)._bump_feed_version()
        if vals.get("dirty") and self.filtered("product_id"):
            self.channel_id._trigger_push()
        return result

    def unlink(self):
        channels = self.channel_id
        result = super().unlink()
        channels.exists()._bump_feed_version()
        return result

    @api.model
    def _mark_dirty(self, products, channels=None):
        """Record that the stock or price of these products changed (on `channels`, or on every channel)
        and wake the push cron.

        Stock and price changes only INSERT into marketplace_stock_event: they never update offer rows the
        push cron is writing, so concurrent pushes cannot lose a change nor make a stock move fail. The
        changes of one transaction are collected in memory and written once, at commit (or at the next
        savepoint), one row per (product, channel): a 50-line receipt writes at most 50 rows and one cron
        trigger, not one per move line. The cron turns the events into dirty offers (see _consume).
        """
        product_ids = products if isinstance(products, (list, tuple, set)) else products.ids
        channel_ids = channels.ids if channels is not None else [0]
        self._mark_pairs((pid, cid) for pid in product_ids for cid in channel_ids)

    @api.model
    def _mark_pairs(self, pairs):
        """Queue (product id, channel id or 0 for every channel) changes for this transaction (see _mark_dirty)."""
        pairs = set(pairs)
        if not pairs:
            return
        precommit = self.env.cr.precommit
        pending = precommit.data.get(PENDING_KEY)
        if pending is None:
            pending = precommit.data[PENDING_KEY] = set()
            precommit.add(self._flush_pending_changes)
            self.env["marketplace.channel"]._trigger_push()
        pending.update(pairs)

    @api.model
    def _flush_pending_changes(self):
        """Write the changes collected in this transaction as marketplace_stock_event rows."""
        pending = self.env.cr.precommit.data.pop(PENDING_KEY, None)
        if not pending:
            return
        products, channels = zip(*sorted(pending), strict=True)
        self.env.cr.execute(
            "INSERT INTO marketplace_stock_event (product_id, channel_id) "
            "SELECT p, NULLIF(c, 0) FROM unnest(%s::int[], %s::int[]) AS t(p, c)", [list(products), list(channels)])


class MarketplaceStockEvent(models.Model):
    _name = "marketplace.stock.event"
    _description = "Marketplace Stock or Price Change"
    _log_access = False

    product_id = fields.Integer(required=True, index=True)
    channel_id = fields.Integer(help="Empty: the change concerns every channel selling the product.")

    @api.model
    def _consume(self):
        """Turn the pending stock/price changes into dirty offers and newer feed versions, in SQL.

        Returns the number of products consumed."""
        self.env["marketplace.offer"]._flush_pending_changes()
        self.env["marketplace.offer"].flush_model(["dirty"])
        self.env.cr.execute("SELECT max(id) FROM marketplace_stock_event")
        max_id = self.env.cr.fetchone()[0]
        if not max_id:
            return 0
        self.env.cr.execute("""
            WITH events AS (
                DELETE FROM marketplace_stock_event WHERE id <= %s RETURNING product_id, channel_id
            ), changed AS (
                SELECT DISTINCT product_id, channel_id FROM events
            ), offers AS (
                SELECT o.id, o.channel_id, o.dirty FROM marketplace_offer o
                  JOIN changed e ON e.product_id = o.product_id
                                AND (e.channel_id IS NULL OR e.channel_id = o.channel_id)
            ), marked AS (
                UPDATE marketplace_offer o SET dirty = true
                  FROM offers WHERE o.id = offers.id AND offers.dirty IS NOT TRUE
                RETURNING o.id
            )
            SELECT (SELECT count(DISTINCT product_id) FROM changed),
                   (SELECT array_agg(DISTINCT channel_id) FROM offers),
                   (SELECT count(*) FROM marked)
        """, [max_id])
        products, channel_ids, _marked = self.env.cr.fetchone()
        self.env["marketplace.offer"].invalidate_model(["dirty"])
        if channel_ids:
            self.env["marketplace.channel"].browse(channel_ids)._bump_feed_version()
        return products
