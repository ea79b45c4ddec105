"""BAS (1C-based ERP) as a stock and price source, added the way any new marketplace type is added:
one ``selection_add`` value plus one adapter factory in ``_adapter_registry``."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import const
from ..tools.bas_soap_api import BasSoapApi
from ..tools.marketplace_api import MarketplaceError


class MarketplaceBasStock(models.Model):
    """Last quantity BAS reported per product: the next import applies only BAS's change since then."""

    _name = "marketplace.bas.stock"
    _description = "BAS Stock Snapshot"

    channel_id = fields.Many2one("marketplace.channel", required=True, ondelete="cascade", index=True)
    product_id = fields.Many2one("product.product", required=True, ondelete="cascade", index=True)
    quantity = fields.Float(string="Quantity in BAS", digits="Product Unit of Measure")

    _sql_constraints = [
        ("channel_product_uniq", "unique(channel_id, product_id)", "One BAS snapshot per product and channel."),
    ]


class MarketplaceChannel(models.Model):
    _inherit = "marketplace.channel"

    channel_type = fields.Selection(selection_add=[("bas", "BAS (SOAP)")], ondelete={"bas": "cascade"})
    bas_warehouse = fields.Char(string="BAS Warehouse", default=const.BAS_WAREHOUSE,
                                help="Name of the BAS warehouse whose stock and prices are imported.")
    bas_last_import = fields.Datetime(string="Last BAS Import", readonly=True, copy=False)

    @api.model
    def _adapter_registry(self):
        return dict(super()._adapter_registry(), bas=self._make_bas_adapter)

    def _make_bas_adapter(self, on_call):
        secret = self.sudo()
        if not (secret.login and secret.password and secret.base_url):
            raise UserError(self.env._("%(channel)s: set the BAS service URL, login and password.",
                                       channel=self.name))
        return BasSoapApi(secret.login, secret.password, self.bas_warehouse or const.BAS_WAREHOUSE,
                          base_url=secret.base_url, on_call=on_call, timeout=const.DEFAULT_TIMEOUT)

    def _push_dirty_offers(self, limit=None):
        bas = self.filtered(lambda c: c.channel_type == "bas")
        if bas:  # a source: nothing is pushed to BAS
            self.env["marketplace.offer"].search([("channel_id", "in", bas.ids), ("dirty", "=", True)]).write(
                {"dirty": False})
        others = self - bas
        return others and super(MarketplaceChannel, others)._push_dirty_offers(limit=limit) or 0

    def _import_orders(self, commit_each=False):
        if self.channel_type == "bas":
            return self.env["marketplace.order"]
        return super()._import_orders(commit_each=commit_each)

    def action_import_bas_stock(self):
        """Import quantities (inventory adjustment in the channel's warehouse) and prices from BAS."""
        self.ensure_one()
        if self.channel_type != "bas":
            raise UserError(self.env._("Only BAS channels import stock and prices."))
        adapter = self._get_adapter()
        try:
            items = adapter.list_offers()
        except MarketplaceError as error:
            self._record_error(error)
            raise self._user_error(error) from error
        finally:
            self._flush_logs(adapter)
        Product = self.env["product.product"]
        skus = [i.sku for i in items if i.sku]
        barcodes = [i.barcode for i in items if i.barcode]
        products = Product.search(["|", ("default_code", "in", skus), ("barcode", "in", barcodes)])
        by_sku = {p.default_code: p for p in products if p.default_code}
        by_barcode = {p.barcode: p for p in products if p.barcode}
        location = self.warehouse_id.lot_stock_id
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        Snapshot = self.env["marketplace.bas.stock"]
        matched = {}
        unmatched = 0
        for item in items:
            product = by_sku.get(item.sku) or by_barcode.get(item.barcode)
            if product:
                matched[product] = item
            else:
                unmatched += 1
        storable = Product.browse([p.id for p in matched if p.is_storable])
        snapshots = {s.product_id: s for s in Snapshot.search(
            [("channel_id", "=", self.id), ("product_id", "in", storable.ids)])}
        current = dict(self.env["stock.quant"]._read_group(
            [("product_id", "in", storable.ids), ("location_id", "child_of", location.id)],
            ["product_id"], ["quantity:sum"]))
        quants = Quant.browse()
        new_snapshots = []
        for product in storable:
            item = matched[product]
            snapshot = snapshots.get(product)
            on_hand = current.get(product, 0.0)
            # deltas: BAS's change since its last snapshot is applied to Odoo's quantity, so what Odoo sold
            # (and shipped) since then stays sold. The first import takes BAS's quantity as it is.
            target = item.quantity if not snapshot else on_hand + item.quantity - snapshot.quantity
            target = max(target, 0.0)
            if snapshot:
                if snapshot.quantity != item.quantity:
                    snapshot.quantity = item.quantity
            else:
                new_snapshots.append({"channel_id": self.id, "product_id": product.id, "quantity": item.quantity})
            if target != on_hand:
                quant = Quant.search([("product_id", "=", product.id), ("location_id", "=", location.id),
                                      ("lot_id", "=", False), ("package_id", "=", False),
                                      ("owner_id", "=", False)], limit=1)
                if not quant:
                    quant = Quant.create({"product_id": product.id, "location_id": location.id})
                quant.inventory_quantity = quant.quantity + target - on_hand
                quants |= quant
        Snapshot.create(new_snapshots)
        for product, item in matched.items():
            if item.price:
                self._set_bas_price(product, item.price)
        updated = len(matched)
        if quants:
            quants.action_apply_inventory()
        self.write({"bas_last_import": fields.Datetime.now(), "last_error": False})
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "warning" if unmatched else "success", "title": self.name,
            "message": self.env._("%(updated)s products updated from BAS, %(unmatched)s items without a product.",
                                  updated=updated, unmatched=unmatched)}}

    def _set_bas_price(self, product, price):
        if not self.pricelist_id:
            if product.lst_price != price:
                product.product_tmpl_id.list_price = price
            return
        Item = self.env["product.pricelist.item"]
        item = Item.search([("pricelist_id", "=", self.pricelist_id.id), ("applied_on", "=", "0_product_variant"),
                            ("product_id", "=", product.id), ("compute_price", "=", "fixed"),
                            ("min_quantity", "<=", 1)], limit=1)
        if item:
            if item.fixed_price != price:
                item.fixed_price = price
        else:
            Item.create({"pricelist_id": self.pricelist_id.id, "applied_on": "0_product_variant",
                         "product_id": product.id, "compute_price": "fixed", "fixed_price": price})

    @api.model
    def _cron_import_bas_stock(self):
        for channel in self.search([("channel_type", "=", "bas")]):
            channel = channel._in_company_lang()
            try:
                channel.action_import_bas_stock()
            except UserError as error:
                channel._record_error(error)
            channel._commit_if_not_testing()
