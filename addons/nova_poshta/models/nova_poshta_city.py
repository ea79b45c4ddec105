import logging
import time
import uuid

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .. import const
from ..tools.nova_poshta_api import NovaPoshtaError

_logger = logging.getLogger(__name__)


class NovaPoshtaCity(models.Model):
    _name = "nova_poshta.city"
    _description = "Nova Poshta City"
    _order = "name"
    _rec_names_search = ["name", "area"]

    name = fields.Char(required=True, index="trigram")
    ref = fields.Char(string="Ref", required=True, index=True)
    area = fields.Char()
    active = fields.Boolean(default=True)
    warehouse_ids = fields.One2many("nova_poshta.warehouse", "city_id", string="Branches")
    sync_stamp = fields.Char(readonly=True, copy=False, index=True)

    _sql_constraints = [("ref_uniq", "unique(ref)", "A Nova Poshta city with this Ref already exists.")]

    @api.depends("name", "area")
    def _compute_display_name(self):
        for city in self:
            city.display_name = f"{city.name} ({city.area})" if city.area else city.name

    @api.model
    def _nova_poshta_upsert(self, model, rows, stamp):
        """Create/update `model` records from vals dicts keyed by 'ref' and mark them seen by run `stamp`.

        Only the refs of this page are read, and only changed records are written, so a daily resync of
        40,000 branches stays cheap in time and memory.

        :return: (created, updated) counts
        """
        Model = self.env[model].with_context(active_test=False, tracking_disable=True)
        if not rows:
            return 0, 0
        refs = [vals["ref"] for vals in rows]
        names = sorted({key for vals in rows for key in vals} | {"ref", "active"})
        existing = {rec["ref"]: rec for rec in Model.search_read([("ref", "in", refs)], names, load=None)}
        to_create, updated = {}, 0
        for vals in rows:
            current = existing.get(vals["ref"])
            if current is None:
                to_create[vals["ref"]] = dict(vals, sync_stamp=stamp)
                continue
            changes = {k: v for k, v in dict(vals, active=True).items() if current.get(k) != (v or False)}
            if changes:
                Model.browse(current["id"]).write(changes)
                updated += 1
        Model.create(list(to_create.values()))
        # one statement marks the whole page as seen by this run (no ORM write per unchanged record)
        Model.flush_model()
        self.env.cr.execute(SQL("UPDATE %s SET sync_stamp = %s WHERE ref = ANY(%s)",
                                SQL.identifier(Model._table), stamp, refs))
        Model.invalidate_model(["sync_stamp"])
        return len(to_create), updated

    @api.model
    def _nova_poshta_archive_unseen(self, model, stamp):
        Model = self.env[model].with_context(active_test=False)
        gone = Model.search([("active", "=", True), "|", ("sync_stamp", "=", False), ("sync_stamp", "!=", stamp)])
        gone.write({"active": False})
        return len(gone)

    @api.model
    def _nova_poshta_warehouse_vals(self, items):
        city_refs = list({w.get("CityRef") for w in items if w.get("CityRef")})
        city_ids = {rec["ref"]: rec["id"] for rec in self.with_context(active_test=False).search_read(
            [("ref", "in", city_refs)], ["ref"])}
        rows = []
        for w in items:
            if not city_ids.get(w.get("CityRef")):
                continue
            dims = w.get("SendingLimitationsOnDimensions") or {}
            rows.append({
                "ref": w["Ref"], "number": str(w.get("Number") or ""), "name": w.get("Description") or w["Ref"],
                "address": w.get("ShortAddress") or False, "city_id": city_ids[w["CityRef"]],
                "category": "postomat" if w.get("CategoryOfWarehouse") == "Postomat" else "branch",
                "max_weight": float(w.get("TotalMaxWeightAllowed") or w.get("PlaceMaxWeightAllowed") or 0),
                "max_width": float(dims.get("Width") or 0), "max_height": float(dims.get("Height") or 0),
                "max_length": float(dims.get("Length") or 0),
            })
        return rows

    @api.model
    def _nova_poshta_sync_step(self, carrier, max_pages=None):
        """Run one batch of the directory sync; its position is kept in ir.config_parameter.

        Stage 'cities' imports every city page, then stage 'warehouses' imports `max_pages` pages of
        branches per call. After the last page, records not seen by this run are archived.

        :return: dict(done=pages done in this call, remaining=estimated pages left, finished=bool, stats)
        """
        params = self.env["ir.config_parameter"].sudo()
        api_client = carrier._nova_poshta_api()
        max_pages = max_pages or int(params.get_param("nova_poshta.sync_pages_per_batch", 20))
        stamp = params.get_param("nova_poshta.sync_stamp")
        stage = params.get_param("nova_poshta.sync_stage") or "cities"
        page = int(params.get_param("nova_poshta.sync_page") or 1)
        if not stamp:
            stamp, stage, page = uuid.uuid4().hex, "cities", 1
        stats = {"created": 0, "updated": 0, "archived": 0}
        done = remaining = 0
        size = int(params.get_param("nova_poshta.page_size") or const.DIRECTORY_PAGE_SIZE)
        if stage == "cities":
            for _page, items, _total in api_client.iter_pages("Address", "getCities", page_size=size):
                created, updated = self._nova_poshta_upsert("nova_poshta.city", [
                    {"ref": c["Ref"], "name": c.get("Description") or c["Ref"],
                     "area": c.get("AreaDescription") or False} for c in items], stamp)
                stats["created"] += created
                stats["updated"] += updated
                done += 1
            stats["archived"] += self._nova_poshta_archive_unseen("nova_poshta.city", stamp)
            stage, page = "warehouses", 1
        finished = False
        while True:
            data, _w, info = api_client.call("Address", "getWarehouses", {"Page": page, "Limit": size})
            total = int((info or {}).get("totalCount") or 0) if isinstance(info, dict) else 0
            created, updated = self._nova_poshta_upsert(
                "nova_poshta.warehouse", self._nova_poshta_warehouse_vals(data), stamp)
            stats["created"] += created
            stats["updated"] += updated
            done += 1
            _logger.info("Nova Poshta directory: warehouses page %s (%s per page, total %s)", page, size, total)
            if len(data) < size or (total and page * size >= total):
                stats["archived"] += self._nova_poshta_archive_unseen("nova_poshta.warehouse", stamp)
                finished = True
                break
            page += 1
            if done >= max_pages:
                remaining = max(1, -(-(total - (page - 1) * size) // size)) if total else 1
                break
        if finished:
            for key in ("sync_stamp", "sync_stage", "sync_page"):
                params.set_param(f"nova_poshta.{key}", False)
            remaining = 0
        else:
            params.set_param("nova_poshta.sync_stamp", stamp)
            params.set_param("nova_poshta.sync_stage", stage)
            params.set_param("nova_poshta.sync_page", page)
        return {"done": done, "remaining": remaining, "finished": finished, "stats": stats,
                "calls": api_client.calls}

    @api.model
    def _nova_poshta_sync(self, carrier):
        """Full sync in this transaction (button, tests, benchmark). Returns a summary dict."""
        start = time.monotonic()
        params = self.env["ir.config_parameter"].sudo()
        for key in ("sync_stamp", "sync_stage", "sync_page"):
            params.set_param(f"nova_poshta.{key}", False)
        total = {"created": 0, "updated": 0, "archived": 0}
        calls = 0
        while True:
            step = self._nova_poshta_sync_step(carrier, max_pages=10 ** 6)
            calls += step["calls"]
            for key in total:
                total[key] += step["stats"][key]
            if step["finished"]:
                break
        summary = {"created": total["created"], "updated": total["updated"], "archived": total["archived"],
                   "cities": self.search_count([]), "warehouses": self.env["nova_poshta.warehouse"].search_count([]),
                   "seconds": time.monotonic() - start, "calls": calls}
        _logger.info("Nova Poshta directory sync: %s", summary)
        return summary

    @api.model
    def _cron_nova_poshta_sync_directories(self):
        """Daily cron: a batch of pages per run, progress reported to the cron so it continues at once."""
        carrier = self.env["delivery.carrier"].search([("delivery_type", "=", "nova_poshta")], limit=1)
        if not carrier or not carrier.sudo().nova_poshta_api_key:
            _logger.info("Nova Poshta directory sync skipped: no carrier with an API key")
            return
        try:
            step = self._nova_poshta_sync_step(carrier)
        except NovaPoshtaError as error:
            _logger.warning("Nova Poshta directory sync failed: %s (%s)", error.message, error.code)
            return
        self.env["ir.cron"]._notify_progress(done=step["done"], remaining=step["remaining"])
        if step["remaining"]:
            self.env.ref("nova_poshta.ir_cron_nova_poshta_directories")._trigger()

    def action_nova_poshta_sync(self):
        carrier = self.env["delivery.carrier"].search([("delivery_type", "=", "nova_poshta")], limit=1)
        if not carrier:
            raise UserError(self.env._("Create a Nova Poshta shipping method with its API key first."))
        try:
            summary = self._nova_poshta_sync(carrier)
        except NovaPoshtaError as error:
            raise UserError(carrier._nova_poshta_error_message(error)) from error
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"type": "success", "title": self.env._("Nova Poshta directories"),
                       "message": self.env._("%(cities)s cities and %(warehouses)s branches are up to date.",
                                             cities=summary["cities"], warehouses=summary["warehouses"]),
                       "next": {"type": "ir.actions.client", "tag": "soft_reload"}},
        }


class NovaPoshtaWarehouse(models.Model):
    _name = "nova_poshta.warehouse"
    _description = "Nova Poshta Branch or Parcel Locker"
    _order = "city_id, number_int, id"
    _rec_names_search = ["name", "number", "address"]

    name = fields.Char(required=True, index="trigram")
    ref = fields.Char(string="Ref", required=True, index=True)
    number = fields.Char(index=True)
    number_int = fields.Integer(compute="_compute_number_int", store=True)
    address = fields.Char(index="trigram")
    city_id = fields.Many2one("nova_poshta.city", required=True, index=True, ondelete="cascade")
    category = fields.Selection([("branch", "Branch"), ("postomat", "Parcel Locker")], default="branch")
    max_weight = fields.Float(string="Max Weight (kg)")
    max_width = fields.Float(string="Max Width (cm)")
    max_height = fields.Float(string="Max Height (cm)")
    max_length = fields.Float(string="Max Length (cm)")
    active = fields.Boolean(default=True)
    sync_stamp = fields.Char(readonly=True, copy=False, index=True)

    _sql_constraints = [("ref_uniq", "unique(ref)", "A Nova Poshta branch with this Ref already exists.")]

    @api.depends("number")
    def _compute_number_int(self):
        for warehouse in self:
            digits = "".join(ch for ch in warehouse.number or "" if ch.isdigit())
            warehouse.number_int = int(digits) if digits else 0

    @api.model
    def _search_display_name(self, operator, value):
        # "12" finds branch number 12 first; any other text searches names and addresses
        if operator == "ilike" and value and value.strip().isdigit():
            return ["|", ("number", "=", value.strip()), ("name", "ilike", value)]
        return super()._search_display_name(operator, value)

