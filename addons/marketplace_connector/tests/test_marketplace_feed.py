import xml.etree.ElementTree as ET

from odoo.tests import HttpCase, TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestMarketplaceFeedContent(TransactionCase):
    """The YML document itself: well-formed XML with the elements Rozetka and Prom read (yml_feed.md)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.channel = cls.env["marketplace.channel"].create({
            "name": "Feed content", "channel_type": "rozetka", "login": "x", "password": "y", "stock_buffer": 1,
            "currency_id": cls.env.company.currency_id.id})
        parent = cls.env["product.category"].create({"name": "Посуд"})
        cls.categ = cls.env["product.category"].create({"name": "Чайники & кавники", "parent_id": parent.id})
        cls.parent_categ = parent
        color = cls.env["product.attribute"].create({"name": "Колір", "value_ids": [
            (0, 0, {"name": "Білий"}), (0, 0, {"name": "Чорний"})]})
        cls.template = cls.env["product.template"].create({
            "name": "Чайник\x0b «Ранок»", "is_storable": True, "list_price": 899.0, "categ_id": cls.categ.id,
            "description_sale": "<p>Сталь</p> ]]> кінець",
            "attribute_line_ids": [(0, 0, {"attribute_id": color.id, "value_ids": [(6, 0, color.value_ids.ids)]})],
        })
        cls.variants = cls.template.product_variant_ids
        for i, variant in enumerate(cls.variants):
            variant.default_code = f"TEA-{i}"
            cls.env["marketplace.offer"].create({
                "channel_id": cls.channel.id, "external_id": f"rz-{i}", "product_id": variant.id})
        cls.env["stock.quant"]._update_available_quantity(
            cls.variants[0], cls.channel.warehouse_id.lot_stock_id, 5)

    def test_feed_is_well_formed_and_complete(self):
        root = ET.fromstring(self.channel._prepare_feed_xml())
        shop = root.find("shop")
        categories = {c.get("id"): c for c in shop.find("categories")}
        self.assertEqual(categories[str(self.categ.id)].get("parentId"), str(self.parent_categ.id),
                         "the parent category is in the feed, so the tree is complete")
        self.assertIn(str(self.parent_categ.id), categories)
        self.assertEqual(categories[str(self.categ.id)].text, "Чайники & кавники")
        offers = {o.get("id"): o for o in shop.find("offers")}
        self.assertEqual(set(offers), {str(v.id) for v in self.variants})
        first = offers[str(self.variants[0].id)]
        self.assertEqual(first.get("group_id"), str(self.template.id), "variants grouped by template")
        self.assertEqual(first.get("available"), "true")
        self.assertEqual(first.findtext("stock_quantity"), "4", "free quantity minus the buffer")
        self.assertEqual(first.findtext("quantity_in_stock"), "4", "Prom reads quantity_in_stock")
        self.assertEqual(first.findtext("article"), "TEA-0")
        name = first.findtext("name")
        self.assertNotIn("[TEA-0]", name, "no internal reference prefix in the marketplace title")
        self.assertNotIn("\x0b", name, "control characters are stripped")
        self.assertTrue(name.startswith("Чайник «Ранок»"))
        self.assertTrue(first.findtext("name_ua"))
        self.assertEqual(first.findtext("description"), "<p>Сталь</p> ]]> кінець", "CDATA survives ']]>'")
        self.assertTrue(first.findtext("description_ua"))
        params = {p.get("name"): p.text for p in first.findall("param")}
        self.assertIn(params.get("Колір"), ("Білий", "Чорний"))
        second = offers[str(self.variants[1].id)]
        self.assertEqual(second.get("available"), "false")
        self.assertEqual(second.findtext("stock_quantity"), "0")


def _png():
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue())


@tagged("post_install", "-at_install")
class TestMarketplaceFeedRequirements(HttpCase):
    """What Rozetka and Prom require in the feed (yml_feed.md; Rozetka price-list requirements, Prom YML
    import): the marketplace's own offer id, <picture> public URLs, <vendor>, <url>, price/old price, stock."""

    def setUp(self):
        super().setUp()
        self.pricelist = self.env["product.pricelist"].create({"name": "Feed prices", "item_ids": [(0, 0, {
            "applied_on": "3_global", "compute_price": "percentage", "percent_price": 10})]})
        self.channel = self.env["marketplace.channel"].create({
            "name": "Feed requirements", "channel_type": "rozetka", "login": "x", "password": "y",
            "pricelist_id": self.pricelist.id, "currency_id": self.env.company.currency_id.id})
        self.product = self.env["product.product"].create({
            "name": "Кавоварка", "default_code": "COF-1", "is_storable": True, "list_price": 1000.0,
            "marketplace_vendor": "Bosch", "image_1920": _png()})
        self.offer = self.env["marketplace.offer"].create({
            "channel_id": self.channel.id, "external_id": "344560030", "feed_offer_id": "7372",
            "product_id": self.product.id})
        self.env["stock.quant"]._update_available_quantity(self.product, self.channel.warehouse_id.lot_stock_id, 2)

    def _feed(self):
        reply = self.url_open(f"/marketplace/feed/{self.channel.id}/{self.channel.sudo().feed_token}.xml")
        self.assertEqual(reply.status_code, 200)
        return ET.fromstring(reply.content)

    def _offer(self, root):
        [offer] = root.find("shop/offers")
        return offer

    def test_required_elements(self):
        if "is_published" in self.product._fields:
            self.product.is_published = True
        offer = self._offer(self._feed())
        self.assertEqual(offer.get("id"), "7372", "the offer id Rozetka already knows (price_offer_id)")
        self.assertEqual((offer.findtext("price"), offer.findtext("price_old"), offer.findtext("oldprice")),
                         ("900.00", "1000.00", "1000.00"), "discounted price with the crossed-out one")
        self.assertEqual(offer.findtext("vendor"), "Bosch")
        self.assertEqual(offer.findtext("stock_quantity"), "2")
        if "website_url" in self.product._fields:
            self.assertTrue(offer.findtext("url").endswith(self.product.website_url))
            self.assertTrue(offer.findtext("url").startswith("http"))
        picture = offer.findtext("picture")
        self.assertTrue(picture.startswith("http") and picture.endswith(".png"), picture)
        path = picture.split("/", 3)[3]
        image = self.url_open("/" + path)  # public: the marketplace downloads it without a session
        self.assertEqual(image.status_code, 200)
        self.assertEqual(image.headers["Content-Type"], "image/png")
        self.assertEqual(self.url_open("/" + path.replace(path[-36:-4], "0" * 32)).status_code, 403)
        self.assertNotIn(self.channel.sudo().feed_token, picture, "the feed token is not exposed")

    def test_feed_never_stale(self):
        self.assertEqual(self._offer(self._feed()).findtext("price"), "900.00")
        self.pricelist.item_ids.percent_price = 20  # price rule
        self.assertEqual(self._offer(self._feed()).findtext("price"), "800.00")
        self.product.name = "Кавоварка рожкова"  # product content
        self.assertEqual(self._offer(self._feed()).findtext("name"), "Кавоварка рожкова")
        other = self.env["product.product"].create({"name": "Чайник", "default_code": "TEA-9", "list_price": 50})
        self.offer.product_id = other  # mapping
        self.assertEqual(self._offer(self._feed()).findtext("article"), "TEA-9")
        self.offer.feed_offer_id = False  # a listing created from Odoo: the variant id
        self.assertEqual(self._offer(self._feed()).get("id"), str(other.id))
        version = self.channel.feed_version
        self._feed()
        self.assertEqual(self.channel.feed_version, version, "no change: the cached document is served")
