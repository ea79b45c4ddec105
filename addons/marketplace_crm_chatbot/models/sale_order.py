from markupsafe import Markup

from odoo import api, models

from odoo.addons.crm_chatbot_leads.tools.phone import normalize_ua_phone


class SaleOrder(models.Model):
    _inherit = "sale.order"

    @api.model_create_multi
    def create(self, vals_list):
        links = {}
        for index, vals in enumerate(vals_list):
            if vals.get("marketplace_order_id") and not vals.get("opportunity_id") and vals.get("partner_id"):
                binding = self.env["marketplace.order"].browse(vals["marketplace_order_id"])
                partner = self.env["res.partner"].browse(vals["partner_id"])
                conversation = self._marketplace_find_conversation(binding, partner)
                if conversation:
                    links[index] = conversation
                    if conversation.lead_id:
                        vals["opportunity_id"] = conversation.lead_id.id
        orders = super().create(vals_list)
        for index, conversation in links.items():
            orders[index]._marketplace_link_conversation(conversation)
        return orders

    @api.model
    def _marketplace_find_conversation(self, binding, partner):
        """The messenger conversation of the marketplace buyer: the partner's, else one whose shared
        phone is the marketplace phone. :return: chatbot.conversation (sudo) or empty"""
        Conversation = self.env["chatbot.conversation"].sudo()
        company = binding.company_id or self.env.company
        domain = [("state", "!=", "unsubscribed"), ("company_id", "=", company.id)]
        conversation = Conversation.search(
            domain + [("partner_id", "child_of", partner.commercial_partner_id.id)],
            order="last_message_date desc, id desc", limit=1)
        phone = normalize_ua_phone(binding.phone)
        if not conversation and phone:
            conversation = Conversation.search(domain + [("phone", "=", phone)],
                                               order="last_message_date desc, id desc", limit=1)
            if not conversation:
                owner = self.env["res.partner"]._chatbot_find_by_phone(binding.phone, company)
                if owner:
                    conversation = Conversation.search(domain + [("partner_id", "=", owner.id)],
                                                       order="last_message_date desc, id desc", limit=1)
        return conversation

    def _marketplace_link_conversation(self, conversation):
        self.ensure_one()
        if not conversation.partner_id:
            conversation.partner_id = self.partner_id
        lead = conversation.lead_id
        if lead and not lead.partner_id:
            lead.partner_id = self.partner_id
        customer = conversation.customer_name or conversation.chat_id
        if lead:
            body = self.env._("Marketplace buyer linked to the %(bot)s conversation with %(customer)s and the lead "
                              "%(lead)s.", bot=conversation.bot_id.name, customer=customer, lead=lead.name)
        else:
            body = self.env._("Marketplace buyer linked to the %(bot)s conversation with %(customer)s.",
                              bot=conversation.bot_id.name, customer=customer)
        self.message_post(body=Markup("💬 %s") % body, subtype_xmlid="mail.mt_note")
