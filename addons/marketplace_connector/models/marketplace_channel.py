import logging
import secrets
import threading
import time
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import const
from ..tools.marketplace_api import MarketplaceError, StockUpdate
from ..tools.prom_api import PromApi
from ..tools.rozetka_api import RozetkaApi

_logger = logging.getLogger(__name__)
_CONCURRENCY_ERRORS = (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected,
                       psycopg2.errors.LockNotAvailable)


class MarketplaceChannel(models.Model):
    _name = "marketplace.channel"
    _description = "Marketplace Channel"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    channel_type = fields.Selection(
        [("rozetka", "Rozetka"), ("prom", "Prom")], required=True, default="prom"
    )
    api_token = fields.Char(string="API Token", groups="base.group_system", copy=False)
    login = fields.Char(groups="base.group_system", copy=False)
    password = fields.Char(groups="base.group_system", copy=False)
    base_url = fields.Char(
        string="Test API URL", groups="base.group_system",
        help="Endpoint used while the channel is not in production (Rozetka and Prom publish no sandbox: a "
             "staging or mock server). In production the marketplace's own API is called. For BAS: the URL "
             "of the BAS web service.")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    warehouse_id = fields.Many2one("stock.warehouse", check_company=True, required=True,
                                   default=lambda self: self.env["stock.warehouse"].search(
                                       [("company_id", "=", self.env.company.id)], limit=1))
    pricelist_id = fields.Many2one("product.pricelist", check_company=True)
    currency_id = fields.Many2one(
        "res.currency", string="Marketplace Currency", required=True, default=lambda self: self._default_currency(),
        help="Currency of the prices sent to the marketplace and in the feed (hryvnia for Rozetka and Prom). "
             "Prices of a pricelist in another currency are converted at the day's rate (NBU rates import).")
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True)
    stock_buffer = fields.Float(
        string="Safety Buffer", help="Units held back from the quantity sent to the marketplace."
    )
    prod_environment = fields.Boolean(
        string="Production Environment", copy=False,
        help="On: calls go to the marketplace's production API. Off: to the test API URL (nothing is sent "
             "to the production marketplace while it is off).")
    untracked_quantity = fields.Integer(
        string="Quantity of Untracked Products", default=const.UNTRACKED_QUANTITY,
        help="Quantity shown on the marketplace for products whose stock is not tracked (consumables, services): "
             "they are always available.")
    commission_percent = fields.Float(string="Commission (%)",
                                      help="Marketplace commission used when the order does not state it.")
    order_cursor = fields.Datetime(string="Orders Imported Until", copy=False,
                                   help="UTC time of the last successful order import.")
    feed_token = fields.Char(groups="base.group_system", copy=False,
                             default=lambda self: secrets.token_urlsafe(24))
    feed_url = fields.Char(compute="_compute_feed_url", groups="base.group_system")
    feed_attachment_id = fields.Many2one("ir.attachment", copy=False)
    feed_version = fields.Integer(default=1, copy=False, readonly=True,
                                  help="Bumped by every stock, price, product or mapping change of the feed.")
    feed_built_version = fields.Integer(copy=False, readonly=True,
                                        help="Version of the cached feed document; rebuilt when it differs.")
    last_error = fields.Text(readonly=True, copy=False)
    last_error_date = fields.Datetime(readonly=True, copy=False)
    offer_ids = fields.One2many("marketplace.offer", "channel_id")
    offer_count = fields.Integer(compute="_compute_counts")
    unmatched_count = fields.Integer(compute="_compute_counts")
    exception_count = fields.Integer(compute="_compute_counts")
    log_ids = fields.One2many("marketplace.log", "channel_id")

    _sql_constraints = [
        ("stock_buffer_positive", "CHECK(stock_buffer >= 0)", "The safety buffer cannot be negative."),
    ]

    # a change of these settings changes every quantity or price the channel sends
    _RESEND_FIELDS = {"pricelist_id", "currency_id", "stock_buffer", "warehouse_id", "prod_environment",
                      "untracked_quantity", "base_url", "active"}

    def write(self, vals):
        if {"login", "password", "base_url", "prod_environment"} & set(vals):
            RozetkaApi.forget_tokens()  # new credentials or endpoint: never reuse a token of the old ones
        result = super().write(vals)
        if self._RESEND_FIELDS & set(vals):
            self._mark_all_offers_dirty()
        return result

    def _bump_feed_version(self):
        """Every change that shows in the feed bumps the version; the cached feed is rebuilt when it is older."""
        ids = [cid for cid in self.ids if cid]
        if ids:
            self.env.cr.execute(
                "UPDATE marketplace_channel SET feed_version = coalesce(feed_version, 0) + 1 WHERE id = ANY(%s)",
                [ids])
            self.invalidate_model(["feed_version"])

    def _mark_all_offers_dirty(self):
        """Queue a price/stock change for every mapped offer of these channels (one SQL read)."""
        if not self.ids:
            return
        self.env["marketplace.offer"].flush_model(["product_id", "channel_id"])
        self.env.cr.execute("SELECT product_id, channel_id FROM marketplace_offer "
                            "WHERE channel_id = ANY(%s) AND product_id IS NOT NULL", [self.ids])
        self.env["marketplace.offer"]._mark_pairs(self.env.cr.fetchall())
        self._bump_feed_version()

    def _compute_counts(self):
        offers = dict(self.env["marketplace.offer"]._read_group(
            [("channel_id", "in", self.ids)], ["channel_id"], ["__count"]))
        unmatched = dict(self.env["marketplace.offer"]._read_group(
            [("channel_id", "in", self.ids), ("product_id", "=", False)], ["channel_id"], ["__count"]))
        exceptions = dict(self.env["marketplace.order"]._read_group(
            [("channel_id", "in", self.ids), ("state", "=", "exception")], ["channel_id"], ["__count"]))
        for channel in self:
            channel.offer_count = offers.get(channel, 0)
            channel.unmatched_count = unmatched.get(channel, 0)
            channel.exception_count = exceptions.get(channel, 0)

    def _compute_feed_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        for channel in self:
            channel.feed_url = f"{base}/marketplace/feed/{channel.id}/{channel.feed_token}.xml" if channel.id else False

    # -- adapters ------------------------------------------------------------------------
    @api.model
    def _adapter_registry(self):
        """channel_type -> factory(channel) -> MarketplaceAdapter. Extend in a module for a new marketplace."""
        return {"prom": self._make_prom_adapter, "rozetka": self._make_rozetka_adapter}

    def _log_hook(self):
        channel_id = self.id
        entries = []

        def on_call(operation, method, path, status, seconds, error):
            entries.append({"channel_id": channel_id, "operation": operation, "request": f"{method} {path}",
                            "status_code": status or 0, "duration": seconds, "error": error or False})

        return on_call, entries

    def _make_prom_adapter(self, on_call):
        secret = self.sudo()
        if not secret.api_token:
            raise UserError(self.env._("%(channel)s: set the Prom API token.", channel=self.name))
        return PromApi(secret.api_token, base_url=self._endpoint(), on_call=on_call, timeout=const.DEFAULT_TIMEOUT)

    def _make_rozetka_adapter(self, on_call):
        secret = self.sudo()
        if not (secret.login and secret.password):
            raise UserError(self.env._("%(channel)s: set the Rozetka login and password.", channel=self.name))
        return RozetkaApi(secret.login, secret.password, base_url=self._endpoint(), on_call=on_call,
                          timeout=const.DEFAULT_TIMEOUT)

    def _endpoint(self):
        """API base URL by the test/production switch.

        Production: the marketplace's API (const.PROD_URLS; `marketplace.<type>.prod_url` may override it, e.g.
        for a proxy). Test: the channel's test API URL or `marketplace.<type>.test_url`; without one nothing is
        called, so a channel in test mode never reaches the production marketplace."""
        self.ensure_one()
        params = self.env["ir.config_parameter"].sudo()
        if self.prod_environment:
            return params.get_param(f"marketplace.{self.channel_type}.prod_url") or const.PROD_URLS[self.channel_type]
        url = self.sudo().base_url or params.get_param(f"marketplace.{self.channel_type}.test_url")
        if not url:
            raise UserError(self.env._(
                "%(channel)s is in test mode: set its test API URL or switch it to production.", channel=self.name))
        return url

    def _get_adapter(self):
        self.ensure_one()
        factory = self._adapter_registry().get(self.channel_type)
        if not factory:
            raise UserError(self.env._("No connector for marketplace type %(type)s.", type=self.channel_type))
        on_call, entries = self._log_hook()
        adapter = factory(on_call)
        adapter._odoo_log_entries = entries
        return adapter

    def _flush_logs(self, adapter):
        entries = getattr(adapter, "_odoo_log_entries", [])
        if entries:
            self.env["marketplace.log"].sudo().create(entries)
            entries.clear()

    # -- the shop's language for what is written in the background --------------------------
    def _company_lang(self):
        """The shop's language: its company partner's (what the staff reads), else the current one."""
        return (self.company_id[:1] or self.env.company).partner_id.lang or self.env.lang

    def _in_company_lang(self):
        """Self with the shop's language in context. What a cron or a button writes for later reading
        (last errors, order exceptions, chatter) is in the shop's language, never in the cron user's
        (English) nor in the language of whoever clicked; the click's own answer stays in the clicker's."""
        lang = self._company_lang()
        return self.with_context(lang=lang) if lang and lang != self.env.context.get("lang") else self

    def _error_words(self, error):
        """A failed call in the shop's words, the technical detail kept below on its own line."""
        self.ensure_one()
        if not isinstance(error, MarketplaceError):
            return str(error)
        code = str(error.code or "")  # Rozetka's codes are numbers
        if error.retryable or code.startswith("http_5"):
            words = self.env._("No connection with %(channel)s; the next run tries again.", channel=self.name)
        elif code == "auth":
            words = self.env._("%(channel)s rejected the credentials: check the token or login of the channel.",
                               channel=self.name)
        else:
            words = self.env._("%(channel)s refused the request.", channel=self.name)
        return self.env._("%(words)s\nDetails: %(detail)s", words=words, detail=error.message)

    def _record_error(self, error):
        channel = self._in_company_lang()
        message = channel._error_words(error)
        channel.sudo().write({"last_error": message, "last_error_date": fields.Datetime.now()})
        _logger.warning("Marketplace %s: %s", self.name, error.message if isinstance(error, MarketplaceError)
                        else error)

    def _user_error(self, error):
        return UserError(self.env._("%(channel)s: %(message)s", channel=self.name, message=error.message))

    # -- buttons -------------------------------------------------------------------------
    def action_test_connection(self):
        """Check the credentials. A failure is shown (and logged on the channel) without raising, so the
        call log of the failed attempt is kept."""
        self.ensure_one()
        adapter = self._get_adapter()
        try:
            adapter.test_connection()
        except MarketplaceError as error:
            self._record_error(error)
            kind, message = "danger", self.env._("Connection failed: %(message)s", message=error.message)
        else:
            self.sudo().last_error = False
            kind, message = "success", self.env._("Connection works.")
        finally:
            self._flush_logs(adapter)
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"type": kind, "title": self.name, "message": message, "sticky": kind == "danger"}}

    def action_import_offers(self):
        """Import the channel's existing offers and match them to products by SKU or barcode; answers with
        the counts and opens the offers (or, when the marketplace cannot be reached or refuses, says so in
        plain words; the detail is kept under Last error)."""
        self.ensure_one()
        adapter = self._get_adapter()
        try:
            offers = adapter.list_offers()
        except MarketplaceError as error:
            self._record_error(error)  # not rolled back: no exception is raised
            return self._click_answer(self._failure_words(error.message, retryable=error.retryable),
                                      "warning", sticky=True)
        finally:
            self._flush_logs(adapter)
        Offer = self.env["marketplace.offer"]
        before = set(Offer.search([("channel_id", "=", self.id)]).mapped("external_id"))
        result = self._import_offer_rows(offers)
        rows = Offer.search([("channel_id", "=", self.id)])
        mapped = rows.filtered("product_id")
        message = self.env._(
            "%(channel)s: %(count)s offers read, %(new)s new; %(mapped)s matched to products, %(unmatched)s "
            "without a product.", channel=self.name, count=len(offers),
            new=len({o.external_id for o in offers} - before), mapped=len(mapped), unmatched=len(rows - mapped))
        answer = self._click_answer(message, "success" if rows == mapped else "warning")
        answer["params"]["next"] = result
        return answer

    def _import_offer_rows(self, offers):
        """Create or update the offer rows from the marketplace's offers; returns the offers list action."""
        self.ensure_one()
        Offer = self.env["marketplace.offer"]
        existing = {o.external_id: o for o in Offer.search([("channel_id", "=", self.id)])}
        skus = {o.sku for o in offers if o.sku}
        barcodes = {o.barcode for o in offers if o.barcode}
        products = self.env["product.product"].search(
            ["|", ("default_code", "in", list(skus)), ("barcode", "in", list(barcodes))])
        by_sku = {p.default_code: p for p in products if p.default_code}
        by_barcode = {p.barcode: p for p in products if p.barcode}
        to_create = []
        for offer in offers:
            product = by_sku.get(offer.sku) or by_barcode.get(offer.barcode)
            vals = {"name": offer.name, "sku": offer.sku, "barcode": offer.barcode,
                    "feed_offer_id": offer.feed_offer_id or False}
            current = existing.get(offer.external_id)
            if current:
                if product and not current.product_id:
                    vals["product_id"] = product.id
                current.write(vals)
            else:
                to_create.append(dict(vals, channel_id=self.id, external_id=offer.external_id,
                                      product_id=product.id if product else False, dirty=bool(product)))
        Offer.create(to_create)
        self._trigger_push()
        return self.action_view_offers()

    def action_full_resync(self):
        """Push every mapped offer again; answers with the counts (or, when the marketplace cannot be
        reached, in plain words when the next try is) and reloads the form."""
        self.env["marketplace.stock.event"]._consume()
        self.offer_ids.filtered("product_id").write({"dirty": True})
        self._bump_feed_version()
        messages, failed = [], False
        for channel in self:
            started = fields.Datetime.now()
            pushed = channel._push_dirty_offers()
            waiting = len(channel.offer_ids.filtered(lambda o: o.dirty and o.product_id))
            if channel.last_error and channel.last_error_date and channel.last_error_date >= started:
                failed = True
                messages.append(channel._failure_words(channel.last_error, retryable=True,
                                                       cron="ir_cron_marketplace_push_stock"))
            else:
                messages.append(self.env._("%(channel)s: %(pushed)s offers sent, %(waiting)s waiting.",
                                           channel=channel.name, pushed=pushed, waiting=waiting))
        return self._click_answer("\n".join(messages), "warning" if failed else "success", sticky=failed)

    def action_import_orders(self):
        """Import the new orders now; answers "Imported 3 orders, 1 with an exception" (or, when the
        marketplace cannot be reached, when the next try is) and reloads the form."""
        messages, failed = [], False
        for channel in self:
            try:
                orders = channel._import_orders()
            except MarketplaceError as error:
                failed = True
                messages.append(channel._failure_words(error.message, retryable=error.retryable,
                                                       cron="ir_cron_marketplace_import_orders"))
                continue
            messages.append(self.env._("%(channel)s: imported %(count)s orders, %(exceptions)s with an exception.",
                                       channel=channel.name, count=len(orders),
                                       exceptions=len(orders.filtered(lambda o: o.state == "exception"))))
        return self._click_answer("\n".join(messages), "warning" if failed else "success", sticky=failed)

    def _click_answer(self, message, kind="success", sticky=False):
        """The answer to a button: a translated notification, then the view reloads to the new state."""
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": kind, "title": self.name if len(self) == 1 else self.env._("Marketplaces"),
            "message": message, "sticky": sticky, "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}

    def _failure_words(self, detail, retryable=False, cron=None):
        """Plain words for a failed call. The technical detail stays folded away in the channel's last
        error and call log (recorded before this is shown)."""
        self.ensure_one()
        if not retryable:
            return self.env._("%(channel)s refused the request. Check the channel's settings; the details are "
                              "under Last error.", channel=self.name)
        job = cron and self.env.ref(f"marketplace_connector.{cron}", raise_if_not_found=False)
        if job and job.sudo().active and job.sudo().nextcall:
            when = fields.Datetime.context_timestamp(self, job.sudo().nextcall).strftime("%H:%M")
            return self.env._("No connection with %(channel)s — we will try again at %(time)s. The details are "
                              "under Last error.", channel=self.name, time=when)
        return self.env._("No connection with %(channel)s — try again later. The details are under Last error.",
                          channel=self.name)

    def action_view_offers(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "name": self.env._("Offers"), "res_model": "marketplace.offer",
                "view_mode": "list,form", "domain": [("channel_id", "=", self.id)],
                "context": {"default_channel_id": self.id}}

    def action_view_exceptions(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "name": self.env._("Order Exceptions"),
                "res_model": "marketplace.order", "view_mode": "list,form",
                "domain": [("channel_id", "=", self.id), ("state", "=", "exception")]}

    # -- stock and price push ------------------------------------------------------------------
    def _free_quantities(self, products):
        """Free quantity (on hand minus reserved) per product in the channel's warehouse. Products whose stock
        is not tracked (consumables, services) are always available: the channel's nominal quantity."""
        self.ensure_one()
        # one aggregate over the quants of the warehouse's internal locations (what free_qty sums for a
        # warehouse context), read fresh: Odoo's free_qty computes five quantity fields per product, five times
        # slower for the thousands of products of a price change
        self.env["stock.quant"].flush_model(["product_id", "location_id", "quantity", "reserved_quantity"])
        groups = self.env["stock.quant"].sudo()._read_group(
            [("product_id", "in", products.ids), ("location_id", "child_of", self.warehouse_id.view_location_id.id),
             ("location_id.usage", "=", "internal")],
            ["product_id"], ["quantity:sum", "reserved_quantity:sum"])
        on_hand = {product.id: quantity - reserved for product, quantity, reserved in groups}
        untracked = float(self.untracked_quantity)
        return {p.id: on_hand.get(p.id, 0.0) if p.is_storable else untracked for p in products}

    @api.model
    def _default_currency(self):
        uah = self.env["res.currency"].search([("name", "=", const.MARKETPLACE_CURRENCY)], limit=1)
        return uah if uah.active else self.env.company.currency_id

    def _convert_amount(self, amount, from_currency, to_currency):
        """`amount` from one currency to the other at today's rate; untouched (not rounded) when they are
        the same. Used between the marketplace currency and the pricelist / order / company currency."""
        self.ensure_one()
        if not from_currency or not to_currency or from_currency == to_currency:
            return amount
        return from_currency._convert(amount, to_currency, self.company_id, fields.Date.context_today(self))

    def _prices(self, products):
        """Channel price per product, in the marketplace currency: the pricelist's price (all products in one
        pricelist computation), or the sales price when the channel has no pricelist."""
        self.ensure_one()
        pricelist = self.pricelist_id
        if not pricelist:
            return {p.id: self._convert_amount(p.lst_price, self.company_id.currency_id, self.currency_id)
                    for p in products}
        prices = pricelist._get_products_price(products, 1.0) if products else {}
        return {pid: self._convert_amount(price, pricelist.currency_id, self.currency_id)
                for pid, price in prices.items()}

    def _old_prices(self, products, prices):
        """Crossed-out price per product: the sales price when the channel price is lower (a discount)."""
        self.ensure_one()
        result = {}
        for product in products:
            regular = self._convert_amount(product.lst_price, self.company_id.currency_id, self.currency_id)
            price = prices.get(product.id)
            if price is not None and regular - price >= 0.01:
                result[product.id] = regular
        return result

    def _prepare_stock_updates(self, offers):
        free = self._free_quantities(offers.product_id)
        prices = self._prices(offers.product_id)
        old_prices = self._old_prices(offers.product_id, prices)
        updates = []
        for offer in offers:
            quantity = max(0, int(free.get(offer.product_id.id, 0) - self.stock_buffer))
            updates.append(StockUpdate(offer.external_id, quantity, prices.get(offer.product_id.id),
                                       old_prices.get(offer.product_id.id)))
        return updates

    def _push_dirty_offers(self, limit=None):
        """Push the dirty offers of this channel in marketplace-sized batches. Returns pushed count.

        An offer whose id the marketplace cannot take (malformed) or that the marketplace rejects gets the
        reason on its row and does not stop the others; a failed batch keeps its offers dirty for the next run.
        """
        self.ensure_one()
        offers = self.env["marketplace.offer"].search(
            [("channel_id", "=", self.id), ("dirty", "=", True), ("product_id", "!=", False)], limit=limit)
        if not offers:
            return 0
        adapter = self._get_adapter()
        pushed = 0
        try:
            malformed = offers.filtered(lambda o: adapter.check_offer_id(o.external_id))
            for offer in malformed:  # reported, not retried until the id is corrected
                offer.write({"dirty": False, "push_error": self.env._(
                    "Malformed marketplace id %(id)s: the marketplace numbers its offers (digits only).",
                    id=offer.external_id)})
            offers -= malformed
            # quantities and prices of all the dirty offers in one computation; rows updated in SQL per batch
            pairs = list(zip(offers, self._prepare_stock_updates(offers), strict=True))
            rejected_text = self.env._("Rejected by the marketplace")
            for start in range(0, len(pairs), adapter.batch_size):
                batch = pairs[start:start + adapter.batch_size]
                try:
                    accepted = adapter.push_stock([update for _offer, update in batch])
                except MarketplaceError as error:
                    self._record_error(error)  # offers stay dirty: pushed again on the next run
                    break
                rejected = getattr(adapter, "last_rejected", {}) or {}
                done = [(offer.id, update.quantity, update.price or 0.0) for offer, update in batch
                        if offer.external_id in accepted]
                refused = [(offer.id, rejected.get(offer.external_id) or rejected_text) for offer, _update in batch
                           if offer.external_id not in accepted]
                self._mark_offers_pushed(done, refused)
                pushed += len(done)
        finally:
            self._flush_logs(adapter)
        return pushed

    def _mark_offers_pushed(self, done, refused):
        """Record a push batch on the offer rows in two statements (not one ORM write per offer).

        :param done: [(offer id, quantity sent, price sent)] accepted by the marketplace
        :param refused: [(offer id, reason)] rejected by it (they stay dirty)"""
        Offer = self.env["marketplace.offer"]
        Offer.flush_model()
        if done:
            ids, quantities, prices = zip(*done, strict=True)
            self.env.cr.execute("""
                UPDATE marketplace_offer o
                   SET dirty = false, push_error = NULL, last_quantity = v.quantity, last_price = v.price,
                       last_push = now() AT TIME ZONE 'UTC', write_date = now() AT TIME ZONE 'UTC', write_uid = %s
                  FROM unnest(%s::int[], %s::int[], %s::float8[]) AS v(id, quantity, price) WHERE o.id = v.id
            """, [self.env.uid, list(ids), list(quantities), list(prices)])
        if refused:
            ids, reasons = zip(*refused, strict=True)
            self.env.cr.execute("""
                UPDATE marketplace_offer o SET push_error = v.reason
                  FROM unnest(%s::int[], %s::varchar[]) AS v(id, reason) WHERE o.id = v.id
            """, [list(ids), list(reasons)])
        Offer.invalidate_model(["dirty", "push_error", "last_quantity", "last_price", "last_push", "write_date",
                                "write_uid"])

    def _trigger_push(self):
        """Wake the push cron, once per transaction (not once per changed record)."""
        precommit = self.env.cr.precommit
        if precommit.data.get("marketplace_connector.triggered"):
            return
        cron = self.env.ref("marketplace_connector.ir_cron_marketplace_push_stock", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()
            precommit.data["marketplace_connector.triggered"] = True

    @api.model
    def _cron_push_stock(self):
        self.env["product.pricelist.item"]._marketplace_mark_dated()  # rules that started/ended meanwhile
        self.env["marketplace.stock.event"]._consume()
        self._commit_if_not_testing()
        for channel in self.search([]):
            channel = channel._in_company_lang()
            try:
                with self.env.cr.savepoint():
                    channel._push_dirty_offers()
            except (UserError, MarketplaceError, ValueError, TypeError) as error:  # one channel never stops the others
                channel._record_error(error)
            channel._commit_if_not_testing()

    def _commit_if_not_testing(self):
        # crons only: keep each channel's progress even if a later channel fails
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    # -- orders ------------------------------------------------------------------------------
    def _import_orders(self, commit_each=False):
        """See ``_import_orders_now``; exceptions are written in the shop's language."""
        self.ensure_one()
        return self._in_company_lang()._import_orders_now(commit_each=commit_each)

    def _import_orders_now(self, commit_each=False):
        """Fetch the orders changed since the cursor (minus an overlap) and import them idempotently.

        Each order is imported on its own: in a savepoint (or, in cron mode, its own committed transaction).
        An order that cannot be converted is rolled back completely and left as a visible exception with the
        reason; the channel goes on with the next orders and the cursor advances.

        :param commit_each: cron mode: commit after each order, and retry an order whose stock check
            collided with a concurrent import (serialization failure) in a fresh transaction.
        """
        self.ensure_one()
        started = fields.Datetime.now()
        since = (self.order_cursor or started - timedelta(days=7)) - timedelta(minutes=const.ORDER_OVERLAP_MINUTES)
        adapter = self._get_adapter()
        try:
            orders = adapter.list_orders(fields.Datetime.to_string(since))
        except MarketplaceError as error:
            self._record_error(error)
            raise
        finally:
            self._flush_logs(adapter)
        results = self.env["marketplace.order"]
        for order in orders:
            if commit_each:
                results |= self._import_order_committed(order)
            else:
                results |= self._import_order_savepoint(order)
        self.order_cursor = started
        return results

    def _import_order_savepoint(self, order):
        """Import one order in a savepoint; a failure rolls back only this order and is recorded on it."""
        Binding = self.env["marketplace.order"]
        try:
            with self.env.cr.savepoint():
                return Binding._import_from_marketplace(self, order)
        except _CONCURRENCY_ERRORS:
            raise  # the transaction's snapshot is stale: only a new transaction can retry it
        except Exception as error:  # noqa: BLE001 - any failure of one order: recorded on it, channel goes on
            _logger.exception("Marketplace %s: order %s could not be imported", self.name, order.external_id)
            self.env.invalidate_all()
            with self.env.cr.savepoint():
                return Binding._record_import_error(self, order, error)

    def _import_order_committed(self, order, attempts=5):
        """Import one order in its own transaction; on a concurrency conflict roll back and retry. Any other
        failure is rolled back and recorded on the order (exception with the reason), then committed."""
        Binding = self.env["marketplace.order"]
        error = None
        for attempt in range(1, attempts + 1):
            try:
                binding = Binding._import_from_marketplace(self, order)
                # cron only: one order per transaction
                self.env.cr.commit()  # pylint: disable=invalid-commit
                return binding
            except _CONCURRENCY_ERRORS as exc:
                self.env.cr.rollback()
                self.env.invalidate_all()
                _logger.info("Marketplace %s: order %s collided with a concurrent import, retry %s",
                             self.name, order.external_id, attempt)
                error = exc
                time.sleep(0.05 * attempt)
            except Exception as exc:  # noqa: BLE001 - recorded on the order below; the channel goes on
                _logger.exception("Marketplace %s: order %s could not be imported", self.name, order.external_id)
                self.env.cr.rollback()
                self.env.invalidate_all()
                error = exc
                break
        if isinstance(error, _CONCURRENCY_ERRORS):
            error = UserError(self.env._("Order %(order)s could not be imported: too many concurrent changes.",
                                         order=order.external_id))
        binding = Binding._record_import_error(self, order, error)
        self.env.cr.commit()  # pylint: disable=invalid-commit  # cron only: keep the exception visible
        return binding

    @api.model
    def _cron_import_orders(self):
        testing = getattr(threading.current_thread(), "testing", False)
        for channel in self.search([]):
            channel = channel._in_company_lang()
            try:
                channel._import_orders(commit_each=not testing)
            except (MarketplaceError, UserError) as error:
                channel._record_error(error)
            channel._commit_if_not_testing()

    def _tax_included_taxes(self, taxes):
        """The price-included version of each sale tax (marketplace prices are what the buyer pays): an
        existing included tax with the same amount, or a copy of the tax made price-included once."""
        self.ensure_one()
        Tax = self.env["account.tax"].sudo()
        result = Tax.browse()
        for tax in taxes:
            if tax.price_include or tax.amount_type not in ("percent", "division"):
                result |= tax
                continue
            included = Tax.search([
                ("company_id", "=", tax.company_id.id), ("type_tax_use", "=", "sale"),
                ("amount_type", "=", tax.amount_type), ("amount", "=", tax.amount),
                ("price_include_override", "=", "tax_included"), ("tax_group_id", "=", tax.tax_group_id.id),
            ], limit=1)
            if not included:
                included = tax.copy({"name": self.env._("%(tax)s (included)", tax=tax.name),
                                     "price_include_override": "tax_included"})
            result |= included
        return result

    @api.model
    def _cron_import_nbu_rates(self):
        from ..tools.nbu_api import fetch_rates

        company_currency = self.env.company.currency_id
        if company_currency.name != "UAH":
            return
        url = self.env["ir.config_parameter"].sudo().get_param("marketplace.nbu_url") or const.NBU_URL
        currencies = self.env["res.currency"].search([("name", "in", ("USD", "EUR"))])
        try:
            rates = fetch_rates(set(currencies.mapped("name")), url=url)
        except Exception as error:  # network or HTTP error: keep yesterday's rates
            _logger.warning("NBU rates import failed: %s", error)
            return
        for currency in currencies:
            if currency.name not in rates:
                continue
            rate, date = rates[currency.name]
            existing = self.env["res.currency.rate"].search(
                [("currency_id", "=", currency.id), ("name", "=", date), ("company_id", "=", self.env.company.id)])
            vals = {"inverse_company_rate": rate}
            if existing:
                existing.write(vals)
            else:
                self.env["res.currency.rate"].create(dict(vals, currency_id=currency.id, name=date,
                                                          company_id=self.env.company.id))
        # prices of USD/EUR pricelists changed in hryvnia: res.currency.rate's hooks (models/pricing.py) queued
        # the affected offers and woke the push
