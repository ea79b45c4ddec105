"""What the owner sees on a marketplace order: its lines and its history (the state changes on the chatter),
the way back from the sale order, and a channel's currency warning. Kept apart from the import and sync
logic."""

import json

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools.misc import formatLang

from .. import const
from ..tools.prom_api import PromApi
from ..tools.rozetka_api import RozetkaApi

PAYLOAD_PARSERS = {"prom": PromApi._parse_order, "rozetka": RozetkaApi._parse_order}


class MarketplaceOrder(models.Model):
    _name = "marketplace.order"
    _inherit = ["marketplace.order", "mail.thread"]

    state = fields.Selection(tracking=True)
    exception_reason = fields.Selection(tracking=True)
    sale_order_id = fields.Many2one(tracking=True)
    marketplace_status_label = fields.Selection(tracking=True)  # in words, not the raw code
    order_line_ids = fields.One2many(related="sale_order_id.order_line", string="Order Lines")
    marketplace_lines = fields.Html(compute="_compute_marketplace_lines", sanitize=False,
                                    string="Lines as Ordered",
                                    help="The lines as the marketplace sent them (before any mapping to products).")

    @api.depends("payload", "channel_id.channel_type", "currency_id")
    def _compute_marketplace_lines(self):
        for binding in self:
            binding.marketplace_lines = binding._marketplace_lines_html()

    def _marketplace_lines_html(self):
        parser = PAYLOAD_PARSERS.get(self.channel_type)
        try:
            raw = json.loads(self.payload or "{}")
            lines = parser(raw).lines if parser and raw else []
        except (ValueError, KeyError, TypeError, AttributeError):
            lines = []
        if not lines:
            return False
        head = Markup("<tr><th>%s</th><th>%s</th><th class='text-end'>%s</th><th class='text-end'>%s</th></tr>") % (
            self.env._("Product"), self.env._("SKU"), self.env._("Quantity"), self.env._("Price"))
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td class='text-end'>%s</td><td class='text-end'>%s</td></tr>") % (
                line.name or line.external_offer_id, line.sku or "", formatLang(self.env, line.quantity, digits=0),
                formatLang(self.env, line.price, currency_obj=self.currency_id))
            for line in lines)
        table = Markup("<table class='table table-sm o_marketplace_lines'><thead>%s</thead><tbody>%s</tbody></table>")
        return table % (head, rows)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_view_marketplace_order(self):
        """Back to the marketplace order this sale order was imported from."""
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "marketplace.order", "view_mode": "form",
                "res_id": self.marketplace_order_id.id, "name": self.marketplace_order_id.display_name}


class MarketplaceChannel(models.Model):
    _inherit = "marketplace.channel"

    currency_warning = fields.Char(compute="_compute_currency_warning")

    @api.depends("channel_type", "currency_id")
    def _compute_currency_warning(self):
        uah = self.env["res.currency"].with_context(active_test=False).search(
            [("name", "=", const.MARKETPLACE_CURRENCY)], limit=1)
        for channel in self:
            warning = False
            if channel.channel_type in ("prom", "rozetka"):
                if not uah.active:
                    warning = self.env._("Hryvnia (UAH) is not active, so prices are sent in %(currency)s. "
                                         "Activate UAH in the currencies and set it on the channel.",
                                         currency=channel.currency_id.name or "-")
                elif channel.currency_id != uah:
                    warning = self.env._("Rozetka and Prom sell in hryvnia; this channel sends prices in "
                                         "%(currency)s.", currency=channel.currency_id.name or "-")
            channel.currency_warning = warning
