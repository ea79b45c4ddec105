"""Dashboard tiles of the Omnichannel app.

A tile is a small record (code, name, sequence) shipped as data; everything it shows is computed when
it is read, in the reader's language and with the reader's access rights. The figures come from the
suite's modules, which this module does not depend on: a tile is *available* only when the model it
counts is installed and readable by the user, so the app installs on its own and each tile appears
with its module.
"""

from datetime import datetime, time, timedelta

import pytz
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools.misc import formatLang

# code -> (model that must exist, fields it must have); the tile is hidden otherwise
TILE_REQUIREMENTS = {
    "chats": ("chatbot.conversation", ("last_inbound_date", "state")),
    "mp_orders_today": ("marketplace.order", ("date_order", "state", "channel_id")),
    "mp_exceptions": ("marketplace.order", ("state", "channel_id")),
    "mp_push": ("marketplace.channel", ("last_error", "last_error_date")),
    "np_to_create": ("stock.picking", ("nova_poshta_number",)),
    "np_scan_sheet": ("stock.picking", ("nova_poshta_document_ref", "nova_poshta_registry_number")),
    "np_cod": ("stock.picking", ("nova_poshta_cod_amount", "nova_poshta_cod_received")),
    "prro_errors": ("prro.receipt", ("state",)),
    "segments": ("customer.segment", ()),
}
LEVELS = [("ok", "All good"), ("info", "Information"), ("warning", "Needs attention"), ("danger", "Problem")]
CHART_DAYS = 7


class OmnichannelTile(models.Model):
    _name = "omnichannel.tile"
    _description = "Omnichannel Dashboard Tile"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, readonly=True)
    sequence = fields.Integer(default=10)
    hint = fields.Char(translate=True, help="What to do when the tile is not empty.")
    available = fields.Boolean(compute="_compute_figures", search="_search_available")
    value = fields.Integer(compute="_compute_figures")
    value_display = fields.Char(compute="_compute_figures")
    level = fields.Selection(LEVELS, compute="_compute_figures")
    details = fields.Html(compute="_compute_figures", sanitize=False)
    chart = fields.Html(compute="_compute_figures", sanitize=False)

    _sql_constraints = [("code_uniq", "unique(code)", "A dashboard tile code must be unique.")]

    # -- availability ----------------------------------------------------------------------
    def _tile_is_available(self, code):
        model_name, field_names = TILE_REQUIREMENTS.get(code, (None, ()))
        if not model_name or model_name not in self.env:
            return False
        model = self.env[model_name]
        if any(name not in model._fields for name in field_names):
            return False
        if code == "prro_errors" and "error" not in dict(model._fields["state"]._description_selection(self.env)):
            return False
        return model.has_access("read")

    def _search_available(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        ids = [tile.id for tile in self.sudo().search([]) if self._tile_is_available(tile.code)]
        return [("id", "in" if (operator == "=") == value else "not in", ids)]

    # -- figures ---------------------------------------------------------------------------
    @api.depends_context("uid", "lang", "tz")
    def _compute_figures(self):
        for tile in self:
            figures = {}
            tile.available = self._tile_is_available(tile.code)
            if tile.available:
                figures = getattr(tile, f"_tile_{tile.code}")()
            value = figures.get("value", 0)
            tile.value = value
            tile.value_display = figures.get("display", str(value))
            tile.level = figures.get("level") or ("warning" if value else "ok")
            tile.details = self._tile_lines(figures.get("lines", []))
            tile.chart = figures.get("chart", False)

    @staticmethod
    def _tile_lines(lines):
        if not lines:
            return False
        items = Markup("").join(Markup("<li>%s</li>") % line for line in lines)
        return Markup('<ul class="list-unstyled mb-0">%s</ul>') % items

    def _today_start_utc(self):
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        start = tz.localize(datetime.combine(datetime.now(tz).date(), time.min))
        return start.astimezone(pytz.utc).replace(tzinfo=None)

    def _duration_label(self, delta):
        minutes = max(int(delta.total_seconds() // 60), 0)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        if days:
            return self.env._("%(days)s d %(hours)s h", days=days, hours=hours)
        if hours:
            return self.env._("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
        return self.env._("%(minutes)s min", minutes=minutes)

    def _money(self, amount, currency):
        return formatLang(self.env, amount, currency_obj=currency)

    # chats ---------------------------------------------------------------------------------
    def _chats_unanswered(self):
        """Conversations whose last customer message has no later reply written by a person."""
        conversations = self.env["chatbot.conversation"].search(
            [("last_inbound_date", "!=", False), ("state", "!=", "unsubscribed")])
        if not conversations:
            return conversations
        Message = self.env["chatbot.message"]
        answered = {}
        if {"author_id", "direction", "date"} <= set(Message._fields):
            answered = dict(Message._read_group(
                [("conversation_id", "in", conversations.ids), ("direction", "=", "out"),
                 ("author_id", "!=", False)], ["conversation_id"], ["date:max"]))
        return conversations.filtered(
            lambda c: not answered.get(c) or answered[c] < c.last_inbound_date)

    def _tile_chats(self):
        waiting = self._chats_unanswered()
        lines = []
        if waiting:
            oldest = min(waiting.mapped("last_inbound_date"))
            lines.append(self.env._("Oldest waiting: %(duration)s",
                                    duration=self._duration_label(fields.Datetime.now() - oldest)))
            by_channel = waiting.grouped("channel")
            labels = dict(waiting._fields["channel"]._description_selection(self.env))
            lines += [f"{labels.get(channel, channel)}: {len(group)}" for channel, group in by_channel.items()]
        return {"value": len(waiting), "lines": lines,
                "level": "danger" if waiting and fields.Datetime.now() - min(
                    waiting.mapped("last_inbound_date")) > timedelta(hours=1) else None}

    def _tile_chats_action(self):
        return self._tile_window("crm_chatbot_leads.chatbot_conversation_action", "chatbot.conversation",
                                 [("id", "in", self._chats_unanswered().ids)])

    # marketplaces ------------------------------------------------------------------------------
    def _tile_mp_orders_today(self):
        Order = self.env["marketplace.order"]
        start = self._today_start_utc()
        rows = Order._read_group([("date_order", ">=", start)], ["channel_id", "state"], ["__count"])
        per_channel = {}
        for channel, state, count in rows:
            total, exceptions = per_channel.get(channel, (0, 0))
            per_channel[channel] = (total + count, exceptions + (count if state == "exception" else 0))
        lines = [self.env._("%(channel)s: %(count)s, in exception %(exceptions)s",
                            channel=channel.display_name, count=total, exceptions=exceptions)
                 for channel, (total, exceptions) in per_channel.items()]
        return {"value": sum(total for total, _exc in per_channel.values()), "lines": lines, "level": "info",
                "chart": self._orders_chart()}

    def _orders_chart(self):
        """A small bar chart of the marketplace orders of the last days (pure HTML, no asset)."""
        Order = self.env["marketplace.order"]
        today = self._today_start_utc()
        start = today - timedelta(days=CHART_DAYS - 1)
        rows = dict(Order._read_group([("date_order", ">=", start)], ["date_order:day"], ["__count"]))
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        counts = []
        for index in range(CHART_DAYS):
            day = (pytz.utc.localize(start + timedelta(days=index)).astimezone(tz)).date()
            counts.append((day, sum(c for d, c in rows.items() if d and d.date() == day)))
        top = max([c for _d, c in counts] + [1])
        bars = Markup("").join(
            Markup('<div class="o_omni_bar" title="%(title)s"><div style="height: %(height)s%%"></div>'
                   '<small>%(label)s</small></div>') % {
                "title": f"{day.strftime('%d.%m')}: {count}", "height": max(int(count * 100 / top), 2),
                "label": day.strftime("%d.%m")}
            for day, count in counts)
        return Markup('<div class="o_omni_chart">%s</div>') % bars

    def _tile_mp_orders_today_action(self):
        action = self._tile_window("marketplace_connector.marketplace_order_action", "marketplace.order",
                                   [("date_order", ">=", fields.Datetime.to_string(self._today_start_utc()))])
        action["context"] = {"group_by": ["channel_id"]}
        return action

    def _tile_mp_exceptions(self):
        rows = self.env["marketplace.order"]._read_group(
            [("state", "=", "exception")], ["channel_id"], ["__count"])
        lines = [f"{channel.display_name}: {count}" for channel, count in rows]
        total = sum(count for _channel, count in rows)
        return {"value": total, "lines": lines, "level": "danger" if total else "ok"}

    def _tile_mp_exceptions_action(self):
        return self._tile_window("marketplace_connector.marketplace_order_action", "marketplace.order",
                                 [("state", "=", "exception")])

    def _tile_mp_push(self):
        channels = self.env["marketplace.channel"].search([])
        Offer = self.env["marketplace.offer"] if "marketplace.offer" in self.env else None
        failing = Offer and dict(Offer._read_group(
            [("channel_id", "in", channels.ids), ("push_error", "!=", False)], ["channel_id"], ["__count"])) or {}
        lines, broken = [], 0
        for channel in channels:
            if channel.last_error:
                broken += 1
                when = fields.Datetime.context_timestamp(self, channel.last_error_date).strftime(
                    "%d.%m %H:%M") if channel.last_error_date else ""
                error = channel.last_error.splitlines()[0][:120]
                lines.append(self.env._("%(channel)s: error %(when)s — %(error)s",
                                        channel=channel.display_name, when=when, error=error))
            elif failing.get(channel):
                broken += 1
                lines.append(self.env._("%(channel)s: %(count)s offers not pushed",
                                        channel=channel.display_name, count=failing[channel]))
            else:
                lines.append(self.env._("%(channel)s: OK", channel=channel.display_name))
        return {"value": broken, "lines": lines, "level": "danger" if broken else "ok"}

    def _tile_mp_push_action(self):
        return self._tile_window("marketplace_connector.marketplace_channel_action", "marketplace.channel", [])

    # Nova Poshta ----------------------------------------------------------------------------------
    def _np_domain(self):
        return [("carrier_id.delivery_type", "=", "nova_poshta"), ("picking_type_code", "=", "outgoing"),
                ("state", "not in", ("draft", "cancel"))]

    def _np_to_create_domain(self):
        return self._np_domain() + [("nova_poshta_number", "=", False)]

    def _np_scan_sheet_domain(self):
        return self._np_domain() + [("nova_poshta_document_ref", "!=", False),
                                    ("nova_poshta_registry_number", "=", False)]

    def _np_cod_domain(self):
        return self._np_domain() + [("nova_poshta_number", "!=", False), ("nova_poshta_cod_amount", ">", 0),
                                    ("nova_poshta_cod_received", "=", False)]

    def _tile_np_to_create(self):
        """Deliveries without a waybill: those whose waybill failed first (a refusal waits for a person,
        a network failure is retried by itself), then those being created right after their validation
        (nova_poshta queues them), then those not sent yet."""
        Picking = self.env["stock.picking"]
        domain = self._np_to_create_domain()
        count = Picking.search_count(domain)
        if not count or "nova_poshta_waybill_state" not in Picking._fields:
            return {"value": count}
        by_state = dict(Picking._read_group(domain, ["nova_poshta_waybill_state"], ["__count"]))
        errors = by_state.get("error", 0)
        being_created = by_state.get("queued", 0) + by_state.get("creating", 0)
        refused = errors and Picking.search_count(domain + [
            ("nova_poshta_waybill_state", "=", "error"), ("nova_poshta_waybill_next_try", "=", False)])
        lines = []
        if refused:
            lines.append(self.env._("%(count)s refused by Nova Poshta: fix and retry", count=refused))
        if errors - refused:
            lines.append(self.env._("%(count)s waiting for Nova Poshta to answer", count=errors - refused))
        if being_created:
            lines.append(self.env._("%(count)s being created", count=being_created))
        if count - errors - being_created:
            lines.append(self.env._("%(count)s not sent yet", count=count - errors - being_created))
        level = "danger" if refused else "warning" if count > being_created else "info"
        return {"value": count, "lines": lines, "level": level}

    def _tile_np_to_create_action(self):
        return self._tile_window("nova_poshta.nova_poshta_waybill_action", "stock.picking",
                                 self._np_to_create_domain())

    def _tile_np_scan_sheet(self):
        return {"value": self.env["stock.picking"].search_count(self._np_scan_sheet_domain())}

    def _tile_np_scan_sheet_action(self):
        return self._tile_window("nova_poshta.nova_poshta_waybill_action", "stock.picking",
                                 self._np_scan_sheet_domain())

    def _tile_np_cod(self):
        pickings = self.env["stock.picking"].search(self._np_cod_domain())
        currency = self.env.ref("base.UAH", raise_if_not_found=False) or self.env.company.currency_id
        total = sum(pickings.mapped("nova_poshta_cod_amount"))
        lines = [self.env._("%(count)s parcels", count=len(pickings))] if pickings else []
        return {"value": len(pickings), "display": self._money(total, currency), "lines": lines,
                "level": "info" if pickings else "ok"}

    def _tile_np_cod_action(self):
        return self._tile_window("nova_poshta.nova_poshta_waybill_action", "stock.picking", self._np_cod_domain())

    # fiscal receipts -----------------------------------------------------------------------------
    def _tile_prro_errors(self):
        total = self.env["prro.receipt"].search_count([("state", "=", "error")])
        return {"value": total, "level": "danger" if total else "ok"}

    def _tile_prro_errors_action(self):
        return self._tile_window("prro_checkbox.prro_receipt_action", "prro.receipt", [("state", "=", "error")])

    # segments ---------------------------------------------------------------------------------------
    def _tile_segments(self):
        segments = self.env["customer.segment"].search([])
        lines = [segment.display_name for segment in segments[:5]]
        return {"value": len(segments), "lines": lines, "level": "info" if segments else "ok"}

    def _tile_segments_action(self):
        return self._tile_window("customer_clustering.customer_segment_action", "customer.segment", [])

    # -- opening ------------------------------------------------------------------------------------
    def _tile_window(self, xmlid, model_name, domain):
        """The module's own window action (its views and "no content" help) narrowed to the tile."""
        action = {}
        if self.env.ref(xmlid, raise_if_not_found=False):
            action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action.update({"type": "ir.actions.act_window", "res_model": model_name, "domain": domain,
                       "name": self.name, "context": {}, "target": "current"})
        if not action.get("views"):
            action["views"] = [(False, "list"), (False, "form")]
        return action

    def action_open(self):
        """Open the list behind the tile."""
        self.ensure_one()
        if not self._tile_is_available(self.code):
            return False
        return getattr(self, f"_tile_{self.code}_action")()

    def action_open_graph(self):
        """The marketplace orders of the last weeks as a graph per channel."""
        self.ensure_one()
        since = fields.Datetime.to_string(self._today_start_utc() - timedelta(days=30))
        action = self._tile_window("marketplace_connector.marketplace_order_action", "marketplace.order",
                                   [("date_order", ">=", since)])
        action.update({"views": [(False, "graph"), (False, "list"), (False, "form")],
                       "context": {"graph_groupbys": ["date_order:day", "channel_id"], "graph_mode": "bar"}})
        return action
