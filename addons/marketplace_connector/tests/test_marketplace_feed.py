import xml.etree.ElementTree as ET

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestMarketplaceFeedContent(TransactionCase):
    """The YML document itself: well-formed XML with the elements Rozetka and Prom read (yml_feed.md)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.channel = cls.env["marketplace.channel"].create({
            "name": "Feed content", "channel_type": "rozetka", "login": "x", "password": "y", "stock_buffer": 1})
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
