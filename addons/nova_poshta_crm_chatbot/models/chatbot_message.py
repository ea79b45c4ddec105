from odoo import fields, models


class ChatbotMessage(models.Model):
    _inherit = "chatbot.message"

    keyboard = fields.Selection(selection_add=[("rating", "Rating 1-5")], ondelete={"rating": "set null"})
    np_picking_id = fields.Many2one("stock.picking", string="Delivery", index="btree_not_null",
                                    ondelete="set null", readonly=True)
    np_event = fields.Selection(
        [("shipped", "Shipped"), ("at_branch", "At the branch"), ("delivered", "Received")],
        string="Delivery Event", readonly=True)
    np_mailed = fields.Boolean(string="Sent by E-mail Instead", readonly=True, copy=False)

    def write(self, vals):
        result = super().write(vals)
        if vals.get("state") == "cancelled":
            # the messenger cannot take it (Viber session closed, customer unsubscribed): e-mail instead
            for message in self.filtered(lambda m: m.np_picking_id and m.np_event and not m.np_mailed):
                picking = message.np_picking_id
                super(ChatbotMessage, message).write({"np_mailed": True})
                if picking.partner_id.email:
                    picking._np_send_mail(message.np_event)
                    picking.sale_id.message_post(body=self.env._(
                        "The messenger did not take the message about waybill %(number)s (%(error)s): "
                        "sent by e-mail to %(email)s.", number=picking.nova_poshta_number,
                        error=message.error or "-", email=picking.partner_id.email))
        return result
