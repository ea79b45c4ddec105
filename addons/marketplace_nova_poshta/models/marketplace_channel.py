from odoo import fields, models


class MarketplaceChannel(models.Model):
    _inherit = "marketplace.channel"

    nova_poshta_carrier_id = fields.Many2one(
        "delivery.carrier", string="Nova Poshta Carrier", check_company=True,
        domain="[('delivery_type', '=', 'nova_poshta')]",
        help="Orders of this channel delivered by Nova Poshta are shipped with this carrier: the recipient, "
             "city, branch or parcel locker and cash on delivery come from the marketplace order.")
    nova_poshta_auto_waybill = fields.Boolean(
        string="Automatic Waybills",
        help="Create the Nova Poshta waybill by itself as soon as the order's delivery is ready (stock "
             "reserved, branch known). Off: someone presses 'Create waybill' on the order or the delivery.")
