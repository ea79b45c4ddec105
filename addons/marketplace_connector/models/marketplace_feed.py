import base64
from xml.sax.saxutils import escape

from odoo import fields, models


class MarketplaceChannelFeed(models.Model):
    _inherit = "marketplace.channel"

    def _prepare_feed_xml(self):
        """YML (Yandex Market Language) document accepted by Rozetka and Prom, from the mapped offers.

        Offer ids are the product variant ids and category ids the product category ids: both stay stable.
        """
        self.ensure_one()
        offers = self.offer_ids.filtered("product_id")
        products = offers.product_id
        free = self._free_quantities(products)
        prices = self._prices(products)
        categories = products.categ_id
        currency = (self.pricelist_id.currency_id or self.company_id.currency_id).name
        now = fields.Datetime.now().strftime("%Y-%m-%d %H:%M")
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<yml_catalog date="{now}">', "<shop>",
                 f"<name>{escape(self.company_id.name)}</name>",
                 f"<company>{escape(self.company_id.name)}</company>",
                 f"<url>{escape(self.company_id.website or '')}</url>",
                 f'<currencies><currency id="{currency}" rate="1"/></currencies>', "<categories>"]
        for categ in categories:
            parent = f' parentId="{categ.parent_id.id}"' if categ.parent_id in categories else ""
            lines.append(f'<category id="{categ.id}"{parent}>{escape(categ.name)}</category>')
        lines += ["</categories>", "<offers>"]
        for product in products:
            quantity = max(0, int(free.get(product.id, 0) - self.stock_buffer))
            price = prices.get(product.id)
            price = product.lst_price if price is None else price
            lines += [
                f'<offer id="{product.id}" available="{"true" if quantity > 0 else "false"}">',
                f"<price>{price:.2f}</price>", f"<currencyId>{currency}</currencyId>",
                f"<categoryId>{product.categ_id.id}</categoryId>",
                f"<name>{escape(product.display_name)}</name>",
                f"<vendorCode>{escape(product.default_code or '')}</vendorCode>",
                f"<stock_quantity>{quantity}</stock_quantity>",
            ]
            if product.barcode:
                lines.append(f"<barcode>{escape(product.barcode)}</barcode>")
            if product.description_sale:
                lines.append(f"<description><![CDATA[{product.description_sale}]]></description>")
            lines.append("</offer>")
        lines += ["</offers>", "</shop>", "</yml_catalog>"]
        return "\n".join(lines).encode("utf-8")

    def _get_feed(self):
        """The cached feed, regenerated when stock, prices or mappings changed since it was built."""
        self.ensure_one()
        self.env["marketplace.stock.event"]._consume()
        if self.feed_dirty or not self.feed_attachment_id:
            content = self._prepare_feed_xml()
            vals = {"name": f"marketplace-feed-{self.id}.xml", "datas": base64.b64encode(content),
                    "mimetype": "application/xml", "res_model": self._name, "res_id": self.id}
            if self.feed_attachment_id:
                self.feed_attachment_id.write(vals)
            else:
                self.feed_attachment_id = self.env["ir.attachment"].create(vals)
            self.feed_dirty = False
            return content
        return self.feed_attachment_id.raw
