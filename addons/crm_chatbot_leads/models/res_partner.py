from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.phone import normalize_ua_phone, phone_tail


class ResPartner(models.Model):
    _inherit = "res.partner"

    chatbot_telegram_id = fields.Char(string="Telegram Chat ID", index="btree_not_null", copy=False)
    chatbot_viber_id = fields.Char(string="Viber User ID", index="btree_not_null", copy=False)

    @api.model
    def _chatbot_find_by_messenger(self, channel, chat_id):
        field = "chatbot_telegram_id" if channel == "telegram" else "chatbot_viber_id"
        return self.search([(field, "=", chat_id)], limit=1)

    @api.model
    def _chatbot_find_by_phone(self, phone, company):
        """Partner whose phone or mobile is `phone` whatever its formatting (compares +380 forms).

        :return: the oldest matching partner allowed in `company`, or an empty recordset
        """
        tail = phone_tail(phone)
        normalized = normalize_ua_phone(phone)
        if not tail or not normalized:
            return self.browse()
        self.flush_model(["phone", "mobile", "active", "company_id"])
        self.env.cr.execute(SQL(
            """SELECT id, phone, mobile FROM res_partner
                WHERE active AND (company_id IS NULL OR company_id = %s)
                  AND (right(regexp_replace(coalesce(phone, ''), '\\D', '', 'g'), 9) = %s
                       OR right(regexp_replace(coalesce(mobile, ''), '\\D', '', 'g'), 9) = %s)
                ORDER BY id LIMIT 20""", company.id, tail, tail))
        for partner_id, partner_phone, partner_mobile in self.env.cr.fetchall():
            if normalized in (normalize_ua_phone(partner_phone), normalize_ua_phone(partner_mobile)):
                return self.browse(partner_id)
        return self.browse()

    def _chatbot_link_messenger(self, channel, chat_id):
        field = "chatbot_telegram_id" if channel == "telegram" else "chatbot_viber_id"
        for partner in self:
            if not partner[field]:
                partner[field] = chat_id
