import logging
import time

from odoo import api, fields, models
from odoo.exceptions import UserError

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

    _sql_constraints = [("ref_uniq", "unique(ref)", "A Nova Poshta city with this Ref already exists.")]

    @api.depends("name", "area")
    def _compute_display_name(self):
        for city in self:
            city.display_name = f"{city.name} ({city.area})" if city.area else city.name

    @api.model
    def _nova_poshta_upsert(self, model, rows, extra_domain=None):
        """Create/update `model` records from vals dicts keyed by 'ref'; archive the ones not in `rows`.

        :return: (created, updated, archived) counts
        """
        Model = self.env[model].with_context(active_test=False, tracking_disable=True)
        names = sorted({key for vals in rows for key in vals} | {"ref", "active"})
        existing = {rec["ref"]: rec for rec in Model.search_read(extra_domain or [], names, load=None)}
        to_create, updated = [], 0
        for vals in rows:
            current = existing.get(vals["ref"])
            if current is None:
                to_create.append(vals)
                continue
            changes = {k: v for k, v in dict(vals, active=True).items() if current.get(k) != (v or False)}
            if changes:  # write only what changed: a daily resync of 40,000 branches stays cheap
                Model.browse(current["id"]).write(changes)
                updated += 1
        Model.create(to_create)
        seen = {vals["ref"] for vals in rows}
        gone = [rec["id"] for ref, rec in existing.items() if ref not in seen and rec["active"]]
        Model.browse(gone).write({"active": False})
        return len(to_create), updated, len(gone)

    @api.model
    def _nova_poshta_sync(self, carrier):
        """Import cities, then branches and parcel lockers, page by page. Returns a summary dict."""
        api_client = carrier._nova_poshta_api()
        start = time.monotonic()
        cities = []
        for _page, items, _total in api_client.iter_pages("Address", "getCities"):
            cities.extend({"ref": c["Ref"], "name": c.get("Description") or c["Ref"],
                           "area": c.get("AreaDescription") or False} for c in items)
        city_stats = self._nova_poshta_upsert("nova_poshta.city", cities)
        city_ids = {rec["ref"]: rec["id"] for rec in self.with_context(active_test=False).search_read([], ["ref"])}
        warehouses = []
        for page, items, total in api_client.iter_pages("Address", "getWarehouses"):
            for w in items:
                dims = w.get("SendingLimitationsOnDimensions") or {}
                warehouses.append({
                    "ref": w["Ref"], "number": w.get("Number") or "", "name": w.get("Description") or w["Ref"],
                    "address": w.get("ShortAddress") or False, "city_id": city_ids.get(w.get("CityRef")),
                    "category": "postomat" if w.get("CategoryOfWarehouse") == "Postomat" else "branch",
                    "max_weight": float(w.get("TotalMaxWeightAllowed") or w.get("PlaceMaxWeightAllowed") or 0),
                    "max_width": float(dims.get("Width") or 0), "max_height": float(dims.get("Height") or 0),
                    "max_length": float(dims.get("Length") or 0),
                })
            _logger.info("Nova Poshta directory: warehouses page %s (%s of %s)", page, len(warehouses), total)
        warehouses = [w for w in warehouses if w["city_id"]]
        warehouse_stats = self._nova_poshta_upsert("nova_poshta.warehouse", warehouses)
        summary = {"cities": city_stats, "warehouses": warehouse_stats, "seconds": time.monotonic() - start,
                   "calls": api_client.calls}
        _logger.info("Nova Poshta directory sync: %s", summary)
        return summary

    @api.model
    def _cron_nova_poshta_sync_directories(self):
        carrier = self.env["delivery.carrier"].search([("delivery_type", "=", "nova_poshta")], limit=1)
        if not carrier or not carrier.sudo().nova_poshta_api_key:
            _logger.info("Nova Poshta directory sync skipped: no carrier with an API key")
            return
        try:
            self._nova_poshta_sync(carrier)
        except NovaPoshtaError as error:
            _logger.warning("Nova Poshta directory sync failed: %s (%s)", error.message, error.code)

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
                                             cities=sum(summary["cities"][:2]),
                                             warehouses=sum(summary["warehouses"][:2])),
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
    address = fields.Char()
    city_id = fields.Many2one("nova_poshta.city", required=True, index=True, ondelete="cascade")
    category = fields.Selection([("branch", "Branch"), ("postomat", "Parcel Locker")], default="branch")
    max_weight = fields.Float(string="Max Weight (kg)")
    max_width = fields.Float(string="Max Width (cm)")
    max_height = fields.Float(string="Max Height (cm)")
    max_length = fields.Float(string="Max Length (cm)")
    active = fields.Boolean(default=True)

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

