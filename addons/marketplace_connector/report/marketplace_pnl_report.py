from odoo import fields, models, tools
from odoo.tools import SQL


class MarketplacePnlReport(models.Model):
    """Per channel and order: revenue, cost of goods, marketplace commission and delivery cost."""

    _name = "marketplace.pnl.report"
    _description = "Marketplace Channel P&L"
    _auto = False
    _order = "date desc"

    date = fields.Datetime(readonly=True)
    channel_id = fields.Many2one("marketplace.channel", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    order_id = fields.Many2one("sale.order", readonly=True)
    revenue = fields.Float(readonly=True)
    cost = fields.Float(string="Cost of Goods", readonly=True)
    commission = fields.Float(readonly=True)
    delivery_cost = fields.Float(readonly=True)
    margin = fields.Float(readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # revenue: everything the customer pays (goods and the delivery fee); cost of goods from sale_margin;
        # commission: the marketplace's figure converted to the order's currency;
        # delivery cost: what the carrier charges (picking carrier_price, set when the waybill is created),
        # else the cost of the order's delivery line
        self.env.cr.execute(SQL("""
            CREATE VIEW %s AS (
                SELECT mo.id AS id, so.date_order AS date, mo.channel_id, so.company_id, so.id AS order_id,
                       COALESCE(lines.revenue, 0) AS revenue, COALESCE(lines.cost, 0) AS cost,
                       COALESCE(mo.commission_order_currency, mo.commission, 0) AS commission,
                       COALESCE(NULLIF(ship.carrier_cost, 0), lines.delivery_cost, 0) AS delivery_cost,
                       COALESCE(lines.revenue, 0) - COALESCE(lines.cost, 0)
                           - COALESCE(mo.commission_order_currency, mo.commission, 0)
                           - COALESCE(NULLIF(ship.carrier_cost, 0), lines.delivery_cost, 0) AS margin
                  FROM marketplace_order mo
                  JOIN sale_order so ON so.id = mo.sale_order_id AND so.state = 'sale'
                               AND mo.state != 'cancelled' AND NOT COALESCE(mo.marketplace_failed, false)
                  LEFT JOIN LATERAL (
                      SELECT SUM(sol.price_subtotal) AS revenue,
                             SUM(CASE WHEN sol.is_delivery THEN 0 ELSE sol.purchase_price * sol.product_uom_qty END)
                                 AS cost,
                             SUM(CASE WHEN sol.is_delivery THEN sol.purchase_price * sol.product_uom_qty ELSE 0 END)
                                 AS delivery_cost
                        FROM sale_order_line sol WHERE sol.order_id = so.id AND sol.display_type IS NULL
                  ) lines ON true
                  LEFT JOIN LATERAL (
                      SELECT SUM(sp.carrier_price) AS carrier_cost
                        FROM stock_picking sp
                        JOIN stock_picking_type spt ON spt.id = sp.picking_type_id AND spt.code = 'outgoing'
                       WHERE sp.sale_id = so.id AND sp.state != 'cancel'
                  ) ship ON true
            )""", SQL.identifier(self._table)))
