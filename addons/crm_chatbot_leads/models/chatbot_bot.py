import logging
import secrets

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..const import (
    DEFAULT_HANDOFF_MINUTES,
    DEFAULT_TIMEOUT,
    PARAM_TELEGRAM_URL,
    PARAM_VIBER_URL,
    PARAM_WEBHOOK_BASE,
    TELEGRAM_ALLOWED_UPDATES,
    VIBER_EVENT_TYPES,
)
from ..tools.telegram_api import TelegramApi, TelegramApiError, generate_secret_token
from ..tools.viber_api import ViberApi, ViberApiError

_logger = logging.getLogger(__name__)


class ChatbotBot(models.Model):
    _name = "chatbot.bot"
    _description = "Chatbot"
    _check_company_auto = True
    _order = "sequence, id"

    name = fields.Char(required=True, translate=False)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    channel = fields.Selection(
        [("telegram", "Telegram"), ("viber", "Viber")], required=True, default="telegram"
    )
    token = fields.Char(groups="base.group_system", copy=False,
                        help="Bot token from @BotFather or the Viber admin panel.")
    webhook_secret = fields.Char(
        groups="base.group_system", copy=False, readonly=True,
        help="Random secret_token Telegram sends back in X-Telegram-Bot-Api-Secret-Token.")
    route_token = fields.Char(
        required=True, copy=False, readonly=True, index=True, groups="base.group_system",
        default=lambda self: secrets.token_urlsafe(24),
        help="Random part of the webhook URL, so bots cannot be guessed from the URL.")
    api_base_url = fields.Char(
        string="API Base URL", groups="base.group_system",
        help="Override of the messenger API endpoint (staging or tests). Telegram: URL without the token, "
             "e.g. https://api.telegram.org/bot; Viber: https://chatapi.viber.com/pa")
    webhook_url = fields.Char(compute="_compute_webhook_url", groups="base.group_system")
    webhook_state = fields.Selection(
        [("none", "Not registered"), ("registered", "Registered"), ("error", "Error")],
        default="none", required=True, readonly=True, copy=False)
    webhook_error = fields.Char(readonly=True, copy=False, groups="base.group_system",
                                help="Why the messenger refused the last webhook registration or removal.")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True)
    user_id = fields.Many2one("res.users", string="Salesperson", check_company=True,
                              domain="[('share', '=', False)]")
    tag_ids = fields.Many2many("crm.tag", string="Tags")
    source_id = fields.Many2one("utm.source", string="Source",
                                help="UTM source of the leads when the deep link has none.")
    sender_name = fields.Char(default="Shop", help="Viber: sender name shown to the customer (28 characters max).")
    viber_paid_messages = fields.Boolean(
        string="Allow Paid Messages",
        help="Viber charges bot-initiated messages sent outside the 24-hour session opened by the customer's "
             "last message. When unchecked, status notifications outside the session are cancelled.")
    welcome_text = fields.Text(
        translate=True, required=True,
        default=lambda self: self.env._("Hello! We will answer in a few seconds. Share your phone number "
                                        "with the button below and tell us what you are looking for."))
    confirmation_text = fields.Text(
        translate=True, required=True,
        default=lambda self: self.env._("Thank you! Your request {reference} is registered. "
                                        "A manager will contact you shortly."),
        help="Sent when a request becomes a lead. Placeholders: {reference}, {name}.")
    answer_in_webhook = fields.Boolean(
        string="Instant First Answer", default=True,
        help="Telegram: the bot's answer to a customer message rides in the webhook's HTTP response (no "
             "queue, no extra call), so it reaches the customer at once even under load. Telegram does not "
             "report whether such an answer was delivered; further messages go through the queue.")
    handoff_minutes = fields.Integer(
        string="Quiet Time after a Salesperson (min)", default=DEFAULT_HANDOFF_MINUTES,
        help="Once a salesperson answers a chat, the bot stops its automatic lines there (\"added to your "
             "request\") until the salesperson gives the chat back or this many minutes pass without an "
             "answer. 0: until given back.")
    conversation_ids = fields.One2many("chatbot.conversation", "bot_id")
    conversation_count = fields.Integer(compute="_compute_conversation_count")

    _sql_constraints = [
        ("route_token_uniq", "unique(route_token)", "The webhook route token must be unique."),
    ]

    @api.depends("route_token", "channel")
    def _compute_webhook_url(self):
        base = self._chatbot_webhook_base()
        for bot in self:
            bot.webhook_url = f"{base}/chatbot/{bot.channel}/{bot.route_token}" if bot.route_token else False

    def _compute_conversation_count(self):
        counts = dict(self.env["chatbot.conversation"]._read_group(
            [("bot_id", "in", self.ids)], ["bot_id"], ["__count"]))
        for bot in self:
            bot.conversation_count = counts.get(bot, 0)

    @api.constrains("sender_name")
    def _check_sender_name(self):
        for bot in self:
            if bot.sender_name and len(bot.sender_name) > 28:
                raise ValidationError(self.env._("Viber sender name is limited to 28 characters."))

    # -- clients -----------------------------------------------------------------------
    def _chatbot_webhook_base(self):
        ICP = self.env["ir.config_parameter"].sudo()
        return (ICP.get_param(PARAM_WEBHOOK_BASE) or ICP.get_param("web.base.url") or "").rstrip("/")

    def _chatbot_api(self, timeout=None):
        """Build the client of this bot's messenger (factory, convention 3).

        :param float timeout: seconds per call (default const.DEFAULT_TIMEOUT)
        :return: TelegramApi or ViberApi
        :raises UserError: when the token is missing
        """
        self.ensure_one()
        bot_sudo = self.sudo()
        if not bot_sudo.token:
            raise UserError(self.env._("Chatbot %(name)s: the token is missing.", name=self.name))
        ICP = self.env["ir.config_parameter"].sudo()
        timeout = timeout or DEFAULT_TIMEOUT
        if self.channel == "telegram":
            return TelegramApi(bot_sudo.token, base_url=bot_sudo.api_base_url or ICP.get_param(PARAM_TELEGRAM_URL),
                               timeout=timeout)
        return ViberApi(bot_sudo.token, base_url=bot_sudo.api_base_url or ICP.get_param(PARAM_VIBER_URL),
                        sender_name=self.sender_name, timeout=timeout)

    def _chatbot_user_error(self, error):
        return UserError(self.env._("%(bot)s: %(message)s (code %(code)s)",
                                    bot=self.name, message=error.message, code=error.code))

    @api.model_create_multi
    def create(self, vals_list):
        bots = super().create(vals_list)
        # default texts in every installed language, not frozen in the language of the admin who created
        # the bot: each customer gets them in theirs
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        for bot, vals in zip(bots, vals_list, strict=True):
            for fname in ("welcome_text", "confirmation_text"):
                if fname not in vals:
                    default = self._fields[fname].default
                    bot.update_field_translations(fname, {lang: default(bot.with_context(lang=lang))
                                                          for lang in langs})
        return bots

    # -- buttons ----------------------------------------------------------------------
    def action_register_webhook(self):
        """Register the webhook; answers in plain words (a refusal or no connection keeps the bot in state
        Error with the detail under Webhook error, instead of an error dialog) and reloads the form."""
        failures = []
        for bot in self:
            bot_sudo = bot.sudo()
            api = bot._chatbot_api()
            try:
                if bot.channel == "telegram":
                    secret = generate_secret_token()
                    api.set_webhook(bot_sudo.webhook_url, secret, allowed_updates=TELEGRAM_ALLOWED_UPDATES)
                    bot_sudo.write({"webhook_secret": secret, "webhook_state": "registered", "webhook_error": False})
                else:
                    api.set_webhook(bot_sudo.webhook_url, event_types=VIBER_EVENT_TYPES)
                    bot_sudo.write({"webhook_state": "registered", "webhook_error": False})
            except (TelegramApiError, ViberApiError) as error:
                _logger.warning("Chatbot %s: webhook registration failed: %s", bot.id, error.message)
                bot_sudo.write({"webhook_state": "error", "webhook_error": bot._chatbot_error_detail(error)})
                failures.append(bot._chatbot_failure_words(error))
        if failures:
            return self._chatbot_click_answer("\n".join(failures), "warning")
        return self._chatbot_click_answer(self.env._(
            "Webhook registered: the messenger now sends the messages of %(bots)s here.",
            bots=", ".join(self.mapped("name"))))

    def action_remove_webhook(self):
        """Remove the webhook; answers in plain words and reloads the form (see action_register_webhook)."""
        failures = []
        for bot in self:
            api = bot._chatbot_api()
            try:
                if bot.channel == "telegram":
                    api.delete_webhook()
                else:
                    api.set_webhook("")
            except (TelegramApiError, ViberApiError) as error:
                _logger.warning("Chatbot %s: webhook removal failed: %s", bot.id, error.message)
                bot.sudo().webhook_error = bot._chatbot_error_detail(error)
                failures.append(bot._chatbot_failure_words(error))
                continue
            bot.sudo().write({"webhook_secret": False, "webhook_state": "none", "webhook_error": False})
        if failures:
            return self._chatbot_click_answer("\n".join(failures), "warning")
        return self._chatbot_click_answer(self.env._(
            "Webhook removed: %(bots)s no longer receives messages.", bots=", ".join(self.mapped("name"))))

    def _chatbot_error_detail(self, error):
        return f"[{error.code}] {error.message}"[:500]

    def _chatbot_failure_words(self, error):
        """A failed messenger call in plain words; the technical detail is kept under Webhook error."""
        self.ensure_one()
        messenger = dict(self._fields["channel"]._description_selection(self.env)).get(self.channel, self.channel)
        if error.retryable or not error.code:
            return self.env._("No connection with %(messenger)s for %(bot)s — try again in a few minutes. The "
                              "details are under Webhook error.", messenger=messenger, bot=self.name)
        return self.env._("%(messenger)s refused the request for %(bot)s: check the token and the server's public "
                          "address. The details are under Webhook error.", messenger=messenger, bot=self.name)

    def _chatbot_click_answer(self, message, kind="success"):
        """The answer to a button: a translated notification, then the form reloads to the new state."""
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": kind, "message": message, "sticky": kind != "success",
            "title": self.name if len(self) == 1 else self.env._("Chatbots"),
            "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}

    def action_test_token(self):
        self.ensure_one()
        api = self._chatbot_api()
        try:
            if self.channel == "telegram":
                info = api.get_me()
                name = "@%s" % info.get("username")
            else:
                info = api.get_account_info()
                name = info.get("name") or info.get("uri")
        except (TelegramApiError, ViberApiError) as error:
            raise self._chatbot_user_error(error) from error
        return self._chatbot_notify(self.env._("The token works: %(name)s", name=name))

    def action_view_conversations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_chatbot_leads.chatbot_conversation_action")
        action["domain"] = [("bot_id", "=", self.id)]
        return action

    def _chatbot_notify(self, message):
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"message": message, "type": "success", "sticky": False}}

    # -- inbound ----------------------------------------------------------------------
    @api.model
    def _chatbot_find_by_route(self, route_token, channel):
        """Active bot of `channel` whose webhook path carries `route_token` (sudo lookup)."""
        if not route_token:
            return self.browse()
        return self.sudo().search([("route_token", "=", route_token), ("channel", "=", channel)], limit=1)

    def _chatbot_company_lang(self):
        """The shop's language (the company partner's): background texts for the staff are written in it,
        whatever the language of the request or of the cron user. Customers get theirs
        (``chatbot.conversation._chatbot_env_lang``)."""
        return (self.company_id[:1] or self.env.company).partner_id.lang or self.env.lang

    def _chatbot_receive(self, external_id, kind, raw_body, parsed):
        """Store an authenticated update idempotently, then process it.

        :param str external_id: Telegram ``update_id`` / Viber ``message_token``
        :param str kind: update kind
        :param bytes raw_body: request body as received
        :param dict parsed: flattened update (tools.telegram_api.parse_update / viber_api.parse_event)
        :return: (``chatbot.update`` record or empty if duplicate, dict answer body or None)
        """
        self.ensure_one()
        self.env.cr.execute(SQL(
            """INSERT INTO chatbot_update (bot_id, company_id, external_id, kind, payload, state, attempts,
                                          create_uid, write_uid, create_date, write_date)
               VALUES (%s, %s, %s, %s, %s, 'received', 1, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
               ON CONFLICT (bot_id, external_id) DO NOTHING RETURNING id""",
            self.id, self.company_id.id, external_id, kind, raw_body.decode("utf-8", "replace"),
            self.env.uid, self.env.uid))
        row = self.env.cr.fetchone()
        Update = self.env["chatbot.update"]
        if not row:
            _logger.info("Chatbot %s: duplicate update %s ignored", self.id, external_id)
            return Update, None
        # what processing writes for the staff (lead activities, chatter, errors) is in the shop's language
        update = Update.browse(row[0]).with_context(lang=self._chatbot_company_lang())
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM chatbot_message")
        last_message_id = self.env.cr.fetchone()[0]
        answer = update._process(parsed)
        if answer is None and self.channel == "telegram" and self.answer_in_webhook and update.conversation_id:
            answer = update.conversation_id._chatbot_webhook_answer(last_message_id)
        return update, answer
