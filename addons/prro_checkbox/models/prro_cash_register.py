import logging
import threading
import uuid
from datetime import datetime, timedelta

import psycopg2
import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .. import const
from ..tools.checkbox_api import CheckboxApi, CheckboxError

_logger = logging.getLogger(__name__)

# cashier tokens cached per process (like OCA postlogistics), keyed by (database, register id)
_TOKEN_CACHE = {}
_TOKEN_LOCK = threading.Lock()


class PrroCashRegister(models.Model):
    _name = "prro.cash.register"
    _description = "PRRO Cash Register (Checkbox)"
    _check_company_auto = True
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    fiscal_number = fields.Char(help="Fiscal number of the cash register issued by the tax service.")
    license_key = fields.Char(groups="base.group_system", copy=False)
    cashier_auth = fields.Selection(
        [("password", "Login and password"), ("pin", "PIN code")], string="Cashier Sign-in",
        default="password", required=True)
    cashier_login = fields.Char(groups="base.group_system", copy=False)
    cashier_password = fields.Char(groups="base.group_system", copy=False)
    cashier_pin = fields.Char(string="Cashier PIN", groups="base.group_system", copy=False)
    access_token = fields.Char(groups="base.group_system", copy=False, readonly=True)
    prod_environment = fields.Boolean(
        string="Production Environment", help="Off: receipts go to the Checkbox test server."
    )
    tz = fields.Selection("_tz_get", string="Timezone", default="Europe/Kyiv", required=True)
    close_time = fields.Float(
        string="Close Shift At", default=23.5,
        help="Local time at which the open shift is closed with its Z report (the shift is also always "
             "closed before it is 24 hours old).")
    send_email = fields.Boolean(
        string="E-mail Receipts", default=True,
        help="Checkbox e-mails the receipt to the customer when the customer has an e-mail address.")
    offline_mode = fields.Boolean(readonly=True, help="Last state reported by Checkbox.")
    cashier_name = fields.Char(readonly=True)
    last_check = fields.Datetime(readonly=True)
    tax_mapping_ids = fields.One2many("prro.tax.mapping", "register_id", string="Tax Mapping")
    journal_ids = fields.One2many("account.journal", "prro_cash_register_id", string="Fiscal Journals")
    shift_ids = fields.One2many("prro.shift", "register_id", string="Shifts")
    current_shift_id = fields.Many2one("prro.shift", compute="_compute_current_shift_id")

    @api.model
    def _tz_get(self):
        return [(tz, tz) for tz in sorted(pytz.all_timezones, key=lambda tz: tz if not tz.startswith("Etc/") else "_")]

    @api.depends("shift_ids.state")
    def _compute_current_shift_id(self):
        for register in self:
            register.current_shift_id = register._prro_current_shift()

    def _prro_current_shift(self):
        return self.env["prro.shift"].search(
            [("register_id", "=", self.id), ("state", "in", ("CREATED", "OPENING", "OPENED"))],
            order="id desc", limit=1)

    # -- client factory -------------------------------------------------------------------
    def _prro_base_url(self):
        self.ensure_one()
        url = self.env["ir.config_parameter"].sudo().get_param(const.URL_PARAM)
        return url or const.CHECKBOX_URLS["prod" if self.prod_environment else "test"]

    def _prro_api(self):
        """The Checkbox client of this register, with the cached cashier token."""
        self.ensure_one()
        register_sudo = self.sudo()
        params = self.env["ir.config_parameter"].sudo()
        timeout = float(params.get_param("prro_checkbox.timeout") or const.DEFAULT_TIMEOUT)
        cache_key = (self.env.cr.dbname, self.id)
        with _TOKEN_LOCK:
            token = _TOKEN_CACHE.get(cache_key) or register_sudo.access_token

        def on_token(new_token):
            with _TOKEN_LOCK:
                _TOKEN_CACHE[cache_key] = new_token
            self._prro_store_token(new_token)

        use_pin = register_sudo.cashier_auth == "pin"
        has_credentials = register_sudo.cashier_pin if use_pin else (
            register_sudo.cashier_login and register_sudo.cashier_password)
        if not token and not has_credentials:
            # said here, in the reader's (or the shop's, for a cron) language; the client would say it in English
            raise CheckboxError(self.env._(
                "No cashier credentials on the cash register %(register)s: set a login and password or a PIN code.",
                register=self.name))
        return CheckboxApi(
            self._prro_base_url(), license_key=register_sudo.license_key,
            login=None if use_pin else register_sudo.cashier_login,
            password=None if use_pin else register_sudo.cashier_password,
            pin_code=register_sudo.cashier_pin if use_pin else None, token=token, timeout=timeout,
            client_name=const.CLIENT_NAME, client_version=const.CLIENT_VERSION, on_token=on_token)

    def _prro_store_token(self, token):
        """Keep the token on the register too, without ever waiting for a lock held by another worker."""
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(SQL(
                    "SELECT id FROM prro_cash_register WHERE id = %s FOR NO KEY UPDATE NOWAIT", self.id))
                self.env.cr.execute(SQL("UPDATE prro_cash_register SET access_token = %s WHERE id = %s",
                                        token, self.id))
        except (psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure):
            _logger.debug("PRRO register %s: token kept in memory only (row busy)", self.id)
        self.invalidate_recordset(["access_token"])

    @api.model
    def _prro_default_register(self, company):
        return self.search([("company_id", "=", company.id)], limit=1)

    # -- buttons ------------------------------------------------------------------------------
    def action_prro_test_connection(self):
        """Sign in, read the cashier, the register (offline mode) and the tax groups."""
        self.ensure_one()
        api_client = self._prro_api()
        try:
            api_client.signin()
            me = api_client.cashier_me() or {}
            info = api_client.cash_register_info() or {}
        except CheckboxError as error:
            raise UserError(self.env._("Checkbox: %(message)s", message=error.message)) from error
        self.write({"cashier_name": me.get("full_name"), "offline_mode": bool(info.get("offline_mode")),
                    "fiscal_number": info.get("fiscal_number") or self.fiscal_number,
                    "last_check": fields.Datetime.now()})
        self._prro_load_taxes(api_client)
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "success", "title": self.env._("Checkbox"),
            "message": self.env._("Connected as %(cashier)s.", cashier=me.get("full_name") or "?"),
            "next": {"type": "ir.actions.act_window_close"}}}

    def action_prro_load_taxes(self):
        self.ensure_one()
        try:
            self._prro_load_taxes(self._prro_api())
        except CheckboxError as error:
            raise UserError(self.env._("Checkbox: %(message)s", message=error.message)) from error

    def _prro_load_taxes(self, api_client):
        """Create/refresh one mapping row per Checkbox tax group (GET /tax); the Odoo taxes are chosen by hand."""
        taxes = api_client.get_taxes() or []
        Mapping = self.env["prro.tax.mapping"]
        for tax in taxes:
            existing = self.tax_mapping_ids.filtered(lambda m, code=tax["code"]: m.checkbox_code == code)
            vals = {"checkbox_label": tax.get("label"), "checkbox_symbol": tax.get("symbol"),
                    "checkbox_rate": float(tax.get("rate") or 0.0)}
            if existing:
                existing.write(vals)
            else:
                Mapping.create(dict(vals, register_id=self.id, checkbox_code=tax["code"]))

    def action_prro_open_shift(self):
        """Open a shift now (normally the first receipt of the day opens it)."""
        self.ensure_one()
        try:
            self._prro_ensure_shift(self._prro_api())
        except CheckboxError as error:
            raise UserError(self.env._("Checkbox: %(message)s", message=error.message)) from error

    def action_prro_close_shift(self):
        self.ensure_one()
        try:
            self._prro_close_shift(self._prro_api())
        except CheckboxError as error:
            raise UserError(self.env._("Checkbox: %(message)s", message=error.message)) from error

    # -- shifts -------------------------------------------------------------------------------
    def _prro_local_now(self):
        return datetime.now(pytz.timezone(self.tz or "Europe/Kyiv"))

    def _prro_shift_too_old(self, shift):
        """True when the shift must be closed now: opened on an earlier local day, past the closing time of
        its day, or close to the 24-hour limit."""
        if not shift.opened_at:
            return False
        local_tz = pytz.timezone(self.tz or "Europe/Kyiv")
        opened = pytz.utc.localize(shift.opened_at).astimezone(local_tz)
        now = self._prro_local_now()
        if now - opened >= timedelta(hours=const.SHIFT_MAX_HOURS):
            return True
        if opened.date() != now.date():
            return True
        close_at = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(hours=self.close_time or 24)
        return opened < close_at <= now

    def _prro_ensure_shift(self, api_client):
        """Return an OPENED prro.shift of this register, opening one (and polling until OPENED) if needed.

        Raises CheckboxError; a register busy with another cashier's shift is a clear, non-transient error.
        """
        self.ensure_one()
        Shift = self.env["prro.shift"]
        local = self._prro_current_shift()
        if local and local.state == "OPENED" and not self._prro_shift_too_old(local):
            return local
        remote = api_client.get_cashier_shift()
        if remote and remote.get("status") in ("CREATED", "OPENING", "OPENED"):
            local = Shift._prro_upsert(self, remote)
            if remote["status"] == "OPENED" and self._prro_shift_too_old(local):
                self._prro_close_shift(api_client)
                remote = None
        else:
            remote = None
        if remote is None:
            shift_id = str(uuid.uuid4())
            try:
                remote = api_client.open_shift(shift_id)
            except CheckboxError as error:
                if error.status == 400 and const.MSG_REGISTER_BUSY in (error.message or ""):
                    raise CheckboxError(self.env._(
                        "The cash register %(register)s has a shift opened by another cashier. Close that shift "
                        "in Checkbox (or use that cashier here); receipts wait until then.",
                        register=self.name), status=400, transient=True) from error
                if error.status == 400 and const.MSG_CASHIER_BUSY in (error.message or ""):
                    remote = api_client.get_cashier_shift()  # another worker opened it a moment ago
                    if not remote:
                        raise
                else:
                    raise
        if remote.get("status") != "OPENED":
            remote = api_client.wait_shift(remote["id"], {"OPENED", "CLOSED"}, budget=const.SHIFT_OPEN_BUDGET,
                                           first_delay=const.POLL_FIRST_DELAY, max_delay=const.POLL_MAX_DELAY)
        local = Shift._prro_upsert(self, remote)
        if remote.get("status") != "OPENED":
            raise CheckboxError(self.env._("The shift is still opening in Checkbox; the receipt will be sent a "
                                           "little later."), transient=True)
        return local

    def _prro_close_shift(self, api_client):
        """Close the cashier's shift with its Z report and store the report on the shift."""
        self.ensure_one()
        try:
            remote = api_client.close_shift()
        except CheckboxError as error:
            if error.status == 400 and any(m in (error.message or "") for m in const.MSG_NO_SHIFT):
                self.shift_ids.filtered(lambda s: s.state in ("CREATED", "OPENING", "OPENED")).state = "CLOSED"
                return self.env["prro.shift"]
            raise
        if remote.get("status") != "CLOSED":
            remote = api_client.wait_shift(remote["id"], {"CLOSED"}, budget=const.SHIFT_OPEN_BUDGET,
                                           first_delay=const.POLL_FIRST_DELAY, max_delay=const.POLL_MAX_DELAY)
        return self.env["prro.shift"]._prro_upsert(self, remote)

    @api.model
    def _cron_close_shifts(self):
        """Close shifts at the configured time and always before the 24-hour limit (Z report)."""
        testing = getattr(threading.current_thread(), "testing", False)
        for register in self.search([]):
            lang = register.company_id.partner_id.lang  # the error is read by the shop's staff
            register = register.with_context(lang=lang) if lang else register
            shift = register._prro_current_shift()
            if not shift or shift.state != "OPENED":
                continue
            try:
                api_client = register._prro_api()
                if register._prro_shift_too_old(shift):
                    register._prro_close_shift(api_client)
                else:  # keep the shift list's balances and the offline flag current (two reads per run)
                    self.env["prro.shift"]._prro_upsert(register, api_client.get_shift(shift.checkbox_id))
                    register._prro_refresh_offline(api_client)
            except CheckboxError as error:
                _logger.warning("PRRO register %s: shift not closed/refreshed: %s", register.id, error.message)
                shift.error_message = register.env._("The shift could not be closed or refreshed: %(detail)s",
                                                     detail=error.message)
            if not testing:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # the Z report exists in Checkbox now

    def _prro_refresh_offline(self, api_client):
        info = api_client.cash_register_info() or {}
        self.offline_mode = bool(info.get("offline_mode"))


class PrroTaxMapping(models.Model):
    _name = "prro.tax.mapping"
    _description = "PRRO Tax Mapping (Odoo tax to Checkbox tax group)"
    _order = "register_id, checkbox_code"

    register_id = fields.Many2one("prro.cash.register", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="register_id.company_id", store=True)
    checkbox_code = fields.Integer(string="Checkbox Code", required=True)
    checkbox_symbol = fields.Char(string="Letter")
    checkbox_label = fields.Char(string="Checkbox Tax")
    checkbox_rate = fields.Float(string="Rate (%)")
    tax_ids = fields.Many2many("account.tax", string="Odoo Taxes", domain="[('type_tax_use', '=', 'sale')]")

    _sql_constraints = [
        ("code_uniq", "unique(register_id, checkbox_code)", "Each Checkbox tax code appears once per register."),
    ]
