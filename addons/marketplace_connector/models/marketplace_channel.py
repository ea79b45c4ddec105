from odoo import fields, models


class MarketplaceChannel(models.Model):
    _name = "marketplace.channel"
    _description = "Marketplace Channel"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    channel_type = fields.Selection(
        [("rozetka", "Rozetka"), ("prom", "Prom")], required=True, default="prom"
    )
    api_token = fields.Char(groups="base.group_system", copy=False)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    warehouse_id = fields.Many2one("stock.warehouse", check_company=True)
    pricelist_id = fields.Many2one("product.pricelist", check_company=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True)
    stock_buffer = fields.Float(
        string="Safety Buffer", help="Units held back from the quantity sent to the marketplace."
    )
    prod_environment = fields.Boolean(
        string="Production Environment", help="Off: calls go to the test endpoint."
    )
