import base64
import re
from xml.sax.saxutils import escape as _xml_escape

from odoo import fields, models

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape(text):
    """XML text: control characters 0-31 (other than TAB/LF/CR) are forbidden in YML feeds; quotes escaped."""
    return _xml_escape(_CONTROL_CHARS.sub("", str(text or "")), {'"': "&quot;", "'": "&apos;"})


def cdata(text):
    """HTML in a CDATA section; a literal "]]>" in the text would end the section, so it is split."""
    return "<![CDATA[" + _CONTROL_CHARS.sub("", str(text or "")).replace("]]>", "]]]]><![CDATA[>") + "]]>"


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
        # every ancestor too, so each parentId points at a category present in the feed
        categories = products.categ_id
        categories |= self.env["product.category"].browse(
            int(x) for x in "/".join(categories.mapped("parent_path")).split("/") if x)
        currency = (self.currency_id or self.company_id.currency_id).name
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
        plain = products.with_context(display_default_code=False)
        # Ukrainian titles for name_ua/description_ua (the default language when Ukrainian is not installed)
        lang = "uk_UA" if self.env["res.lang"]._lang_get("uk_UA") else self.env.lang
        ukrainian = {p.id: p for p in plain.with_context(lang=lang)}
        for product in plain:
            product_uk = ukrainian[product.id]
            quantity = max(0, int(free.get(product.id, 0) - self.stock_buffer))
            price = prices.get(product.id)
            if price is None:  # no pricelist: the sales price, in the feed's currency
                price = self._convert_amount(product.lst_price, self.company_id.currency_id, self.currency_id)
            # variants of one template share the template id as group_id (Rozetka/Prom group them)
            group = (f' group_id="{product.product_tmpl_id.id}"'
                     if product.product_tmpl_id.product_variant_count > 1 else "")
            lines += [
                f'<offer id="{product.id}" available="{"true" if quantity > 0 else "false"}"{group}>',
                f"<price>{price:.2f}</price>", f"<currencyId>{currency}</currencyId>",
                f"<categoryId>{product.categ_id.id}</categoryId>",
                f"<name>{escape(product.display_name)}</name>",
                f"<name_ua>{escape(product_uk.display_name)}</name_ua>",
                f"<description>{cdata(product.description_sale or product.name)}</description>",
                f"<description_ua>{cdata(product_uk.description_sale or product_uk.name)}</description_ua>",
                f"<vendorCode>{escape(product.default_code)}</vendorCode>",
                f"<article>{escape(product.default_code)}</article>",
                f"<stock_quantity>{quantity}</stock_quantity>",  # Rozetka
                f"<quantity_in_stock>{quantity}</quantity_in_stock>",  # Prom
            ]
            if product.barcode:
                lines.append(f"<barcode>{escape(product.barcode)}</barcode>")
            lines += [f'<param name="{escape(value.attribute_id.name)}">{escape(value.name)}</param>'
                      for value in product.product_template_attribute_value_ids.product_attribute_value_id]
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
