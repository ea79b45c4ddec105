import base64
import hashlib
import hmac
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


def image_signature(token, channel_id, product_id):
    """Signature of a product image URL in a channel's feed (the feed token itself never appears in it)."""
    message = f"{channel_id}:{product_id}".encode()
    return hmac.new((token or "").encode(), message, hashlib.sha256).hexdigest()[:32]


class ProductTemplate(models.Model):
    _inherit = "product.template"

    marketplace_vendor = fields.Char(
        string="Brand (Marketplaces)",
        help="Brand or manufacturer sent as <vendor> in the marketplace feeds (Rozetka requires it). Empty: the "
             "value of a 'Brand' attribute, if the product has one.")


class MarketplaceChannelFeed(models.Model):
    _inherit = "marketplace.channel"

    def _feed_pictures(self, products):
        """{product id: image URL} for the products that have an image (variant image, else template image).

        The URL points at /marketplace/image/..., public and signed per channel and product, so the
        marketplaces can download it without a session and without learning the feed token."""
        self.ensure_one()
        Attachment = self.env["ir.attachment"].sudo()
        domain = ["|", "&", "&", ("res_model", "=", "product.product"), ("res_field", "=", "image_variant_1920"),
                  ("res_id", "in", products.ids),
                  "&", "&", ("res_model", "=", "product.template"), ("res_field", "=", "image_1920"),
                  ("res_id", "in", products.product_tmpl_id.ids)]
        found = {(a["res_model"], a["res_id"]): a["mimetype"] for a in Attachment.search_read(
            domain, ["res_model", "res_id", "mimetype"])}
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "").rstrip("/")
        token = self.sudo().feed_token
        urls = {}
        for product in products:
            mimetype = found.get(("product.product", product.id)) or found.get(
                ("product.template", product.product_tmpl_id.id))
            if mimetype:
                ext = "jpg" if mimetype == "image/jpeg" else "png"
                urls[product.id] = (f"{base}/marketplace/image/{self.id}/{product.id}/"
                                    f"{image_signature(token, self.id, product.id)}.{ext}")
        return urls

    @staticmethod
    def _feed_vendor(product):
        if product.marketplace_vendor:
            return product.marketplace_vendor
        for value in product.product_template_attribute_value_ids.product_attribute_value_id | \
                product.attribute_line_ids.filtered(lambda line: len(line.value_ids) == 1).value_ids:
            if (value.attribute_id.name or "").strip().lower() in ("brand", "бренд", "виробник", "vendor"):
                return value.name
        return ""

    def _feed_url(self, product, base):
        """Public product page (website_sale, published products only), or None."""
        if "website_url" in product._fields and getattr(product, "is_published", False) and product.website_url:
            return f"{base}{product.website_url}"
        return None

    def _prepare_feed_xml(self):
        """YML (Yandex Market Language) document accepted by Rozetka and Prom, from the mapped offers.

        Elements follow Rozetka's price-list requirements (mirror: elbuz.com/en/docs-export-price-rozetka;
        sellerhelp.rozetka.com.ua/p352-source-management.html) and Prom's YML import (h-profit.com/blog/?p=2064,
        synthetic.ua/pages/prodavtsam/xmlreq): offer@id/@available, url, price, price_old (Rozetka) and oldprice
        (Prom), currencyId, categoryId, picture (absolute public URLs), vendor, name/name_ua,
        description/description_ua, article/vendorCode, stock_quantity (Rozetka) and quantity_in_stock (Prom).

        The offer id is the id the marketplace already knows for the listing (Rozetka price_offer_id, Prom
        external_id, stored on the offer at import): a seller's catalogue is never renumbered. A listing created
        from Odoo uses the product variant id; category ids are product category ids: both stay stable.
        """
        self.ensure_one()
        offers = self.offer_ids.filtered("product_id")
        offer_by_product = {}
        for offer in offers.sorted(lambda o: (not o.feed_offer_id, o.id)):
            offer_by_product.setdefault(offer.product_id.id, offer)
        products = offers.product_id
        free = self._free_quantities(products)
        prices = self._prices(products)
        old_prices = self._old_prices(products, prices)
        pictures = self._feed_pictures(products)
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "").rstrip("/")
        # every ancestor too, so each parentId points at a category present in the feed
        categories = products.categ_id
        categories |= self.env["product.category"].browse(
            int(x) for x in "/".join(categories.mapped("parent_path")).split("/") if x)
        currency = (self.currency_id or self.company_id.currency_id).name
        now = fields.Datetime.now().strftime("%Y-%m-%d %H:%M")
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<yml_catalog date="{now}">', "<shop>",
                 f"<name>{escape(self.company_id.name)}</name>",
                 f"<company>{escape(self.company_id.name)}</company>",
                 f"<url>{escape(self.company_id.website or base)}</url>",
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
            offer = offer_by_product[product.id]
            offer_id = offer.feed_offer_id or str(product.id)
            quantity = max(0, int(free.get(product.id, 0) - self.stock_buffer))
            price = prices.get(product.id) or 0.0
            # variants of one template share the template id as group_id (Rozetka/Prom group them)
            group = (f' group_id="{product.product_tmpl_id.id}"'
                     if product.product_tmpl_id.product_variant_count > 1 else "")
            lines.append(f'<offer id="{escape(offer_id)}" available="{"true" if quantity > 0 else "false"}"{group}>')
            url = self._feed_url(product, base)
            if url:
                lines.append(f"<url>{escape(url)}</url>")
            lines += [f"<price>{price:.2f}</price>"]
            if product.id in old_prices:
                old = f"{old_prices[product.id]:.2f}"
                lines += [f"<price_old>{old}</price_old>", f"<oldprice>{old}</oldprice>"]  # Rozetka, Prom
            lines += [f"<currencyId>{currency}</currencyId>", f"<categoryId>{product.categ_id.id}</categoryId>"]
            if product.id in pictures:
                lines.append(f"<picture>{escape(pictures[product.id])}</picture>")
            vendor = self._feed_vendor(product)
            if vendor:
                lines.append(f"<vendor>{escape(vendor)}</vendor>")
            lines += [
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
        """The cached feed, rebuilt when its version is older than the channel's feed version (bumped by every
        stock, price, product or mapping change). A change made while the feed is being built bumps the version
        past the one the document was built from, so the next request rebuilds it again: never stale."""
        self.ensure_one()
        self.env["marketplace.stock.event"]._consume()
        self.invalidate_recordset(["feed_version", "feed_built_version"])
        version = self.feed_version
        if version != self.feed_built_version or not self.feed_attachment_id:
            content = self._prepare_feed_xml()
            vals = {"name": f"marketplace-feed-{self.id}.xml", "datas": base64.b64encode(content),
                    "mimetype": "application/xml", "res_model": self._name, "res_id": self.id}
            if self.feed_attachment_id:
                self.feed_attachment_id.write(vals)
            else:
                self.feed_attachment_id = self.env["ir.attachment"].create(vals)
            self.feed_built_version = version
            return content
        return self.feed_attachment_id.raw
