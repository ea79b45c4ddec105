import json

from odoo.tests import HttpCase

from tests.fakes.telegram import TelegramFake
from tests.fakes.viber import ViberFake, encode

TG_TOKEN = "123456:TEST-token"
VIBER_TOKEN = "4a2b-viber-test-token"


class ChatbotHttpCommon(HttpCase):
    """Bots pointed at the local fakes; helpers posting updates through the real HTTP stack."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tg_fake = TelegramFake(tokens=(TG_TOKEN,)).start()
        cls.viber_fake = ViberFake(tokens=(VIBER_TOKEN,)).start()
        cls.addClassCleanup(cls.tg_fake.stop)
        cls.addClassCleanup(cls.viber_fake.stop)
        cls.env["ir.config_parameter"].sudo().set_param("crm_chatbot_leads.per_chat_interval", "0")
        # messages queued in the database before the tests are not theirs to send
        cls.env["chatbot.message"].search([("state", "=", "queued")]).state = "cancelled"
        cls.team = cls.env["crm.team"].create({"name": "Chatbot Team"})
        cls.salesman = cls.env["res.users"].create({
            "name": "Sales Olha", "login": "cb_olha", "email": "olha@example.com",
            "groups_id": [(6, 0, [cls.env.ref("sales_team.group_sale_salesman").id])],
        })
        cls.team.member_ids = [(4, cls.salesman.id)]
        cls.tag = cls.env["crm.tag"].create({"name": "Chatbot"})
        cls.tg_bot = cls.env["chatbot.bot"].create({
            "name": "Shop TG", "channel": "telegram", "token": TG_TOKEN,
            "api_base_url": f"{cls.tg_fake.url}/bot", "team_id": cls.team.id, "user_id": cls.salesman.id,
            "tag_ids": [(6, 0, cls.tag.ids)],
            # these tests follow every answer through the queue; test_chatbot_instant covers the webhook answer
            "answer_in_webhook": False,
        })
        cls.tg_bot.sudo().webhook_secret = "s3cr3t_Secret-123"
        cls.viber_bot = cls.env["chatbot.bot"].create({
            "name": "Shop Viber", "channel": "viber", "token": VIBER_TOKEN, "sender_name": "Shop",
            "api_base_url": f"{cls.viber_fake.url}/pa", "team_id": cls.team.id, "user_id": cls.salesman.id,
        })
        cls.partner = cls.env["res.partner"].create({"name": "Олена Коваль", "phone": "+38 (067) 000-11-22"})

    def setUp(self):
        super().setUp()
        self.tg_fake.reset()
        self.viber_fake.reset()
        self.tg_fake.sent.clear()
        self.viber_fake.sent.clear()

    # -- helpers -----------------------------------------------------------------------
    def tg_url(self, bot=None):
        return f"/chatbot/telegram/{(bot or self.tg_bot).sudo().route_token}"

    def viber_url(self, bot=None):
        return f"/chatbot/viber/{(bot or self.viber_bot).sudo().route_token}"

    def post_tg(self, update, secret="s3cr3t_Secret-123", raw=None, url=None):
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = raw if raw is not None else json.dumps(update).encode()
        response = self.url_open(url or self.tg_url(), data=body, headers=headers)
        self.env.invalidate_all()
        return response

    def post_viber(self, event, token=VIBER_TOKEN, raw=None, signature=None):
        body, headers = encode(token, event) if raw is None else (raw, {"Content-Type": "application/json"})
        if signature is not None:
            headers["X-Viber-Content-Signature"] = signature
        response = self.url_open(self.viber_url(), data=body, headers=headers)
        self.env.invalidate_all()
        return response

    def send_queue(self):
        count = self.env["chatbot.message"]._cron_send_outbound()
        self.env.invalidate_all()
        return count

    def conversation(self, bot, chat_id):
        return self.env["chatbot.conversation"].search([("bot_id", "=", bot.id), ("chat_id", "=", str(chat_id))])
