"""Price changes reach the marketplaces: every change that moves a channel price marks the affected offers
dirty (marketplace_stock_event rows computed in SQL, see marketplace.offer._mark_dirty) and wakes the push.

Covered: pricelist items created/changed/deleted (including pricelists based on another pricelist), a
pricelist's currency, a product's sales price or cost, currency rates (NBU import or by hand), and the
channel's own pricing settings. BAS price imports write pricelist items or sales prices, so they are covered
by the same hooks. Product texts, images and codes also change the YML feed (and are pushed, cheaply).
"""

from odoo import api, fields, models
from odoo.tools import SQL

# product fields that change what a channel sends or what its feed shows
PRICE_FIELDS = {"list_price", "lst_price", "standard_price", "price_extra"}
FEED_FIELDS = {"name", "description_sale", "default_code", "barcode", "categ_id", "image_1920", "active",
               "marketplace_vendor", "is_published", "website_published", "product_template_attribute_value_ids"}


def _channels_of_pricelists(env, pricelist_ids):
    """Channels whose price depends on these pricelists, directly or through pricelists based on them."""
    if not pricelist_ids:
        return []
    env["product.pricelist.item"].flush_model(["pricelist_id", "base", "base_pricelist_id"])
    env["marketplace.channel"].flush_model(["pricelist_id"])
    env.cr.execute("""
        WITH RECURSIVE affected(id) AS (
            SELECT unnest(%s::int[])
            UNION
            SELECT i.pricelist_id FROM product_pricelist_item i JOIN affected a ON i.base_pricelist_id = a.id
             WHERE i.base = 'pricelist'
        )
        SELECT c.id FROM marketplace_channel c JOIN affected a ON a.id = c.pricelist_id
    """, [list(pricelist_ids)])
    return [row[0] for row in env.cr.fetchall()]


class ProductPricelistItem(models.Model):
    _inherit = "product.pricelist.item"

    def _marketplace_scope(self):
        """[(pricelist id, SQL condition on `pp` (product_product) / `pt` (product_template))] per item."""
        scopes = []
        for item in self:
            if item.applied_on == "0_product_variant" and item.product_id:
                condition = SQL("pp.id = %s", item.product_id.id)
            elif item.applied_on == "1_product" and item.product_tmpl_id:
                condition = SQL("pp.product_tmpl_id = %s", item.product_tmpl_id.id)
            elif item.applied_on == "2_product_category" and item.categ_id:
                condition = SQL("pt.categ_id IN (SELECT id FROM product_category WHERE parent_path LIKE %s)",
                                f"{item.categ_id.parent_path}%")
            else:  # global rule
                condition = SQL("TRUE")
            scopes.append((item.pricelist_id.id, condition))
        return scopes

    @api.model
    def _marketplace_mark_scopes(self, scopes):
        """Insert change events for the offers of the channels priced by these pricelists whose product
        matches the item's scope: one INSERT ... SELECT per pricelist, whatever the number of products."""
        by_pricelist = {}
        for pricelist_id, condition in scopes:
            if pricelist_id:
                by_pricelist.setdefault(pricelist_id, []).append(condition)
        if not by_pricelist:
            return
        Offer = self.env["marketplace.offer"]
        Offer.flush_model(["product_id", "channel_id"])
        for pricelist_id, conditions in by_pricelist.items():
            channel_ids = _channels_of_pricelists(self.env, [pricelist_id])
            if not channel_ids:
                continue
            self.env.cr.execute(SQL("""
                SELECT DISTINCT o.product_id, o.channel_id
                  FROM marketplace_offer o
                  JOIN product_product pp ON pp.id = o.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE o.channel_id = ANY(%s) AND (%s)
            """, channel_ids, SQL(" OR ").join(conditions)))
            Offer._mark_pairs(self.env.cr.fetchall())

    @api.model
    def _marketplace_mark_dated(self):
        """Rules whose validity started or ended since the last check change prices without any write: queue
        their products (called by the push cron, which each rule's start and end also wake)."""
        params = self.env["ir.config_parameter"].sudo()
        now = fields.Datetime.now()
        last = fields.Datetime.to_datetime(params.get_param("marketplace_connector.price_dates_checked")) or now
        items = self.sudo().search(["|", "&", ("date_start", ">", last), ("date_start", "<=", now),
                                    "&", ("date_end", ">", last), ("date_end", "<=", now)])
        self._marketplace_mark_scopes(items._marketplace_scope())
        params.set_param("marketplace_connector.price_dates_checked", fields.Datetime.to_string(now))
        return items

    def _marketplace_schedule(self):
        """Wake the push cron when a dated rule starts or ends."""
        now = fields.Datetime.now()
        moments = sorted({moment for item in self for moment in (item.date_start, item.date_end)
                          if moment and moment > now})
        cron = self.env.ref("marketplace_connector.ir_cron_marketplace_push_stock", raise_if_not_found=False)
        if moments and cron:
            cron.sudo()._trigger(moments)

    @api.model_create_multi
    def create(self, vals_list):
        items = super().create(vals_list)
        self._marketplace_mark_scopes(items._marketplace_scope())
        items._marketplace_schedule()
        return items

    def write(self, vals):
        before = self._marketplace_scope()  # a rule moved to other products changes the old ones too
        result = super().write(vals)
        self._marketplace_mark_scopes(before + self._marketplace_scope())
        if {"date_start", "date_end"} & set(vals):
            self._marketplace_schedule()
        return result

    def unlink(self):
        scopes = self._marketplace_scope()
        result = super().unlink()
        self._marketplace_mark_scopes(scopes)
        return result


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    def write(self, vals):
        result = super().write(vals)
        if {"currency_id", "active", "company_id"} & set(vals):
            channel_ids = _channels_of_pricelists(self.env, self.ids)
            self.env["marketplace.channel"].browse(channel_ids)._mark_all_offers_dirty()
        return result


class ProductTemplate(models.Model):
    _inherit = "product.template"

    def write(self, vals):
        result = super().write(vals)
        if (PRICE_FIELDS | FEED_FIELDS) & set(vals):
            self.env["marketplace.offer"]._mark_dirty(self.with_context(active_test=False).product_variant_ids)
        return result


class ProductProduct(models.Model):
    _inherit = "product.product"

    def write(self, vals):
        result = super().write(vals)
        if (PRICE_FIELDS | FEED_FIELDS) & set(vals):
            self.env["marketplace.offer"]._mark_dirty(self)
        return result


class ResCurrencyRate(models.Model):
    _inherit = "res.currency.rate"

    @api.model
    def _marketplace_mark_currencies(self, currencies):
        if not currencies:
            return
        # prices converted between the pricelist's (or company's) currency and the marketplace currency
        channels = self.env["marketplace.channel"].sudo().search([
            "|", "|", ("pricelist_id.currency_id", "in", currencies.ids), ("currency_id", "in", currencies.ids),
            ("company_id.currency_id", "in", currencies.ids)])
        channels.filtered(
            lambda c: (c.pricelist_id.currency_id or c.company_id.currency_id) != c.currency_id
        )._mark_all_offers_dirty()

    @api.model_create_multi
    def create(self, vals_list):
        rates = super().create(vals_list)
        self._marketplace_mark_currencies(rates.currency_id)
        return rates

    def write(self, vals):
        result = super().write(vals)
        self._marketplace_mark_currencies(self.currency_id)
        return result

    def unlink(self):
        currencies = self.currency_id
        result = super().unlink()
        self._marketplace_mark_currencies(currencies)
        return result
