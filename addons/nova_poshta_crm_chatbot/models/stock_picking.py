from markupsafe import Markup

from odoo import fields, models

from odoo.addons.nova_poshta import const as np_const

from .. import const


class StockPicking(models.Model):
    _inherit = "stock.picking"

    np_told_shipped = fields.Datetime(string="Customer Told: Shipped", copy=False, readonly=True)
    np_told_at_branch = fields.Datetime(string="Customer Told: At the Branch", copy=False, readonly=True)
    np_told_delivered = fields.Datetime(string="Customer Told: Received", copy=False, readonly=True)
    np_delivered_at = fields.Datetime(string="Received On", copy=False, readonly=True,
                                      help="When Nova Poshta reported the parcel received.")

    def _action_done(self):
        result = super()._action_done()
        for picking in self.filtered(lambda p: p.state == "done" and p.picking_type_code == "outgoing"
                                     and p.is_nova_poshta and p.nova_poshta_number
                                     and not p.nova_poshta_origin_picking_id):
            # the module's own work whoever validates (a storekeeper may read neither the order nor the chat)
            picking.sudo()._np_tell_customer("shipped")
        return result

    def _nova_poshta_on_waybill_created(self):
        result = super()._nova_poshta_on_waybill_created()
        # the waybill came after the validation (nova_poshta queues it): the customer learns its number now
        if (self.state == "done" and self.picking_type_code == "outgoing"
                and not self.nova_poshta_origin_picking_id):
            self.sudo().with_context(np_waybill_after_validation=True)._np_tell_customer("shipped")
        return result

    def _nova_poshta_on_status_change(self, old_code, new_code):
        result = super()._nova_poshta_on_status_change(old_code, new_code)
        state = self.nova_poshta_state
        if (state != np_const.STATE_BY_CODE.get(old_code or "") and self.sale_id
                and self.picking_type_code == "outgoing" and not self.nova_poshta_origin_picking_id):
            if state == "delivered" and not self.np_delivered_at:
                self.np_delivered_at = fields.Datetime.now()
            if state in ("at_branch", "delivered"):
                self.sudo()._np_tell_customer(state)
        return result

    def _np_tracking_url(self):
        self.ensure_one()
        return self.carrier_id.get_tracking_link(self) if self.carrier_tracking_ref else ""

    def _np_customer_text(self, event, env):
        """The messenger text of `event` in the language of `env` (the conversation's)."""
        _ = env._
        order, number, branch = self.sale_id, self.nova_poshta_number, self.nova_poshta_warehouse_id
        if event == "shipped":
            return _("Your order %(order)s is on its way with Nova Poshta. Waybill %(number)s, tracking: %(url)s",
                     order=order.name, number=number, url=self._np_tracking_url())
        if event == "at_branch":
            return _("Your order %(order)s has arrived at Nova Poshta %(branch)s. Waybill %(number)s.",
                     order=order.name, branch=branch.display_name or "", number=number)
        return _("Your order %(order)s (waybill %(number)s) was received. Thank you for your purchase!",
                 order=order.name, number=number)

    def _np_tell_customer(self, event):
        """Tell the customer about `event` ('shipped', 'at_branch', 'delivered') once: in their messenger
        conversation when there is one, else by e-mail with the tracking link. Queued in this transaction
        (chatbot outbound queue / mail queue, both sent after commit with retries)."""
        self.ensure_one()
        field = const.TOLD_FIELDS[event]
        if self[field]:
            return False
        order = self.sale_id
        if not order:
            return False
        conversation = order._np_conversation()
        # the messages sent at validation carried no waybill number when the waybill came after it
        late = event == "shipped" and self.env.context.get("np_waybill_after_validation")
        if conversation:
            if event == "shipped" and order.opportunity_id.chatbot_conversation_id and not late:
                how = self.env._("the messenger's shipping message")  # crm_chatbot_leads sent it
            else:
                text = self._np_customer_text(event, conversation._chatbot_env_lang().env)
                message = conversation._chatbot_queue(text, kind="notification", lead=order.opportunity_id or None)
                message.write({"np_picking_id": self.id, "np_event": event})
                how = conversation.bot_id.name
        elif event == "shipped" and self.company_id.stock_move_email_validation and not late:
            how = self.env._("Odoo's delivery confirmation e-mail")
        elif self.partner_id.email:
            self._np_send_mail(event)
            how = self.env._("e-mail to %(email)s", email=self.partner_id.email)
        else:
            order.message_post(body=self.env._(
                "Nova Poshta: the customer has neither a messenger conversation nor an e-mail; not told about "
                "waybill %(number)s.", number=self.nova_poshta_number))
            self[field] = fields.Datetime.now()
            return False
        self[field] = fields.Datetime.now()
        labels = dict(self._fields["nova_poshta_state"]._description_selection(self.env))
        label = self.env._("Shipped") if event == "shipped" else labels.get(event, event)
        order.message_post(body=Markup("📨 %s") % self.env._(
            "Customer told '%(event)s' (waybill %(number)s) by %(how)s.",
            event=label, number=self.nova_poshta_number, how=how), subtype_xmlid="mail.mt_note")
        return True

    def _np_send_mail(self, event):
        template = self.env.ref(f"nova_poshta_crm_chatbot.{const.MAIL_TEMPLATES[event]}")
        self.message_post_with_source(
            template, email_layout_xmlid="mail.mail_notification_light",
            subtype_id=self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment"))
