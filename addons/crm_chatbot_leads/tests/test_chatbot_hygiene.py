import json

from odoo.tests import tagged

from tests.fakes.telegram import start_update, text_update
from tests.fakes.viber import conversation_started_event

from .common import ChatbotHttpCommon


@tagged("post_install", "-at_install")
class TestChatbotHygiene(ChatbotHttpCommon):

    def test_unknown_deep_links_create_no_utm_records(self):
        sources, campaigns = self.env["utm.source"].search_count([]), self.env["utm.campaign"].search_count([])
        for index, payload in enumerate(("spam_source__spam_campaign", "x" * 64, "another__one")):
            self.post_tg(start_update(883000 + index, payload=payload))
        self.post_viber(conversation_started_event("vutm=", context="junk__junk"))
        self.assertEqual(self.env["utm.source"].search_count([]), sources)
        self.assertEqual(self.env["utm.campaign"].search_count([]), campaigns)
        conversation = self.conversation(self.tg_bot, 883000)
        unknown = self.env.ref("crm_chatbot_leads.utm_source_unknown_deep_link")
        self.assertEqual(conversation.source_id, unknown)
        self.assertFalse(conversation.campaign_id)
        self.assertEqual(conversation.start_payload, "spam_source__spam_campaign")
        # a known source and campaign are used as they are
        campaign = self.env["utm.campaign"].create({"title": "Весна", "name": "vesna"})
        self.post_tg(start_update(883010, payload="Facebook__vesna"))
        conversation = self.conversation(self.tg_bot, 883010)
        self.assertEqual(conversation.source_id, self.env.ref("utm.utm_source_facebook"))
        self.assertEqual(conversation.campaign_id, campaign)

    def test_update_without_chat_is_a_400(self):
        before = self.env["chatbot.update"].search_count([])
        update = {"update_id": 883100, "message": {"message_id": 1, "date": 1763719200, "text": "hi"}}
        response = self.post_tg(update)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.env["chatbot.update"].search_count([]), before)

    def test_body_over_one_mib_refused_before_parsing(self):
        before = self.env["chatbot.update"].search_count([])
        update = text_update(883200, "x" * (1024 * 1024 + 10))
        response = self.post_tg(update)
        self.assertEqual(response.status_code, 413)
        # a large body that is not even JSON gets the same answer: it is not read
        self.assertEqual(self.post_tg(None, raw=b"{" * (1024 * 1024 + 1)).status_code, 413)
        raw = json.dumps({"event": "message", "pad": "x" * (1024 * 1024)}).encode()
        self.assertEqual(self.post_viber(None, raw=raw, signature="0" * 64).status_code, 413)
        self.assertEqual(self.env["chatbot.update"].search_count([]), before)

    def test_nine_digits_in_a_text_are_not_a_phone(self):
        chat = 883300
        self.post_tg(start_update(chat))
        self.post_tg(text_update(chat, "Артикул 123456789"))
        conversation = self.conversation(self.tg_bot, chat)
        self.assertFalse(conversation.phone)
        self.assertTrue(conversation.lead_id, "it is a request")
        self.assertIn("123456789", conversation.lead_id.description)
        self.post_tg(text_update(chat, "067 000 11 22"))
        self.assertEqual(conversation.phone, "+380670001122")
