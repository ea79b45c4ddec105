import re

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.nova_poshta_api import NovaPoshtaError


class NovaPoshtaStreet(models.Model):
    """Streets are not synced in bulk (hundreds of thousands): they are loaded on demand per city."""

    _name = "nova_poshta.street"
    _description = "Nova Poshta Street"
    _order = "name"

    name = fields.Char(required=True, index="trigram")
    ref = fields.Char(string="Ref", required=True, index=True)
    street_type = fields.Char()
    city_id = fields.Many2one("nova_poshta.city", required=True, index=True, ondelete="cascade")

    _sql_constraints = [("ref_city_uniq", "unique(ref, city_id)", "This Nova Poshta street is already loaded.")]

    @api.model
    def _nova_poshta_load(self, carrier, city, name):
        """Ask NP for the streets of `city` matching `name`, store the new ones, return the matches.

        The settlement Ref (streets are keyed by settlement, not by the delivery city) is looked up once
        through Address.searchSettlements and kept on the city.

        :raise NovaPoshtaError: on transport or business errors
        """
        api = carrier._nova_poshta_api()
        city_sudo = city.sudo()
        if not city_sudo.settlement_ref:
            settlements = api.search_settlements(city.name, limit=50)
            match = next((s for s in settlements if s.get("DeliveryCity") == city.ref), None)
            if not match:
                return self.browse()
            city_sudo.settlement_ref = match["Ref"]
        rows = api.search_streets(city_sudo.settlement_ref, name)
        refs = [row["SettlementStreetRef"] for row in rows if row.get("SettlementStreetRef")]
        Street = self.sudo()
        existing = Street.search([("city_id", "=", city.id), ("ref", "in", refs)])
        known = set(existing.mapped("ref"))
        Street.create([{
            "ref": row["SettlementStreetRef"], "city_id": city.id,
            "name": row.get("Present") or row.get("SettlementStreetDescription") or row["SettlementStreetRef"],
            "street_type": row.get("StreetsTypeDescription") or False,
        } for row in rows if row.get("SettlementStreetRef") and row["SettlementStreetRef"] not in known])
        return self.search([("city_id", "=", city.id), ("ref", "in", refs)])


class NovaPoshtaCity(models.Model):
    _inherit = "nova_poshta.city"

    settlement_ref = fields.Char(string="Settlement Ref", readonly=True, copy=False)


class ResPartner(models.Model):
    _inherit = "res.partner"

    nova_poshta_street_id = fields.Many2one(
        "nova_poshta.street", string="Nova Poshta Street", domain="[('city_id', '=', nova_poshta_city_id)]")

    def action_nova_poshta_find_streets(self):
        """Button: load the Nova Poshta streets of the partner's city that match its street line."""
        self.ensure_one()
        if not self.nova_poshta_city_id:
            raise UserError(self.env._("Choose the Nova Poshta city first."))
        # drop the house number and street-type prefix: NP searches by the street's own name
        name = re.sub(r"[,\s]+(?:буд\.?\s*)?\d+[\w/-]*\s*$", "", (self.street or "").strip())
        name = re.sub(r"^(?:вул|вулиця|просп|пр-т|пров|бульв|пл)\.?\s+", "", name, flags=re.IGNORECASE).strip()
        if len(name) < 2:
            raise UserError(self.env._("Type at least two letters of the street in the address first."))
        carrier = self.env["delivery.carrier"].search([("delivery_type", "=", "nova_poshta")], limit=1)
        if not carrier:
            raise UserError(self.env._("Create a Nova Poshta shipping method with its API key first."))
        try:
            streets = self.env["nova_poshta.street"]._nova_poshta_load(carrier, self.nova_poshta_city_id, name)
        except NovaPoshtaError as error:
            raise UserError(carrier._nova_poshta_error_message(error)) from error
        if len(streets) == 1:
            self.nova_poshta_street_id = streets
        message = (self.env._("No Nova Poshta street matches “%(name)s” in %(city)s.",
                              name=name, city=self.nova_poshta_city_id.name) if not streets
                   else self.env._("%(count)s streets loaded: choose one in the Nova Poshta Street field.",
                                   count=len(streets)))
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"type": "success" if streets else "warning", "title": self.env._("Nova Poshta"),
                           "message": message, "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}

    @api.onchange("nova_poshta_city_id")
    def _onchange_nova_poshta_city_street(self):
        if self.nova_poshta_street_id.city_id != self.nova_poshta_city_id:
            self.nova_poshta_street_id = False
