import json

from odoo import models

from .. import const


class MarketplaceOrder(models.Model):
    _inherit = "marketplace.order"

    def _prepare_sale_order_vals(self, data, partner, mapped):
        vals = super()._prepare_sale_order_vals(data, partner, mapped)
        carrier = self.channel_id.nova_poshta_carrier_id
        if carrier:
            vals["carrier_id"] = carrier.id
            vals.update(self._np_destination_vals())
        return vals

    def _create_sale_order(self, data):
        result = super()._create_sale_order(data)
        if self.sale_order_id.carrier_id.delivery_type == "nova_poshta":
            self.sale_order_id._flow_note(self.env._(
                "%(channel)s order %(ref)s confirmed, stock reserved; delivery to %(branch)s.",
                channel=self.channel_id.name, ref=self.external_id,
                branch=self.sale_order_id.nova_poshta_warehouse_id.display_name
                or self.sale_order_id.np_marketplace_branch or "-"))
            self.env.ref("marketplace_nova_poshta.ir_cron_marketplace_nova_poshta_flow")._trigger()
        return result

    def _np_delivery_data(self):
        """The Nova Poshta part of the marketplace's delivery data (:meth:`_get_delivery_data`).

        :return: dict with ``city`` (name), ``branch_ref`` (NP warehouse Ref when the marketplace sends one),
            ``branch_number`` (branch / parcel locker number); None when another carrier delivers the order
        """
        self.ensure_one()
        data = self._get_delivery_data()
        provider = (data.get("provider") or "").lower()
        if provider and provider not in const.PROM_NP_PROVIDERS and not any(
                word in provider for word in const.ROZETKA_NP_WORDS):
            return None
        branch = (data.get("branch") or "").strip()
        if self.channel_type == "rozetka":  # Rozetka may give the NP warehouse Ref next to the number
            branch = str((json.loads(self.payload or "{}").get("delivery") or {}).get("ref_id") or "") or branch
        is_ref = len(branch) == 36 and branch.count("-") == 4  # NP Refs are UUIDs
        return {"city": (data.get("city") or "").strip(), "branch_ref": branch if is_ref else "",
                "branch_number": "" if is_ref else branch.lstrip("№#").strip()}

    def _np_destination_vals(self):
        """Sale order values of the Nova Poshta city / branch (or parcel locker) of the marketplace order.

        Nothing is guessed: an unknown or ambiguous city or branch is left empty and ``np_match_state`` /
        ``np_match_note`` say why (the order then shows the city's branches to choose from).
        """
        self.ensure_one()
        lang = self.company_id.partner_id.lang  # stored text: in the shop's language
        env = self.with_context(lang=lang).env if lang else self.env
        data = self._np_delivery_data()
        if data is None:
            return {"np_match_state": "not_nova_poshta", "np_match_note": env._(
                "The marketplace order is not delivered by Nova Poshta: check the delivery method.")}
        City, Warehouse = env["nova_poshta.city"], env["nova_poshta.warehouse"]
        label = ", ".join(x for x in (data["city"], data["branch_ref"] or data["branch_number"]) if x)
        vals = {"np_marketplace_branch": label or "-", "np_match_note": False,
                "nova_poshta_city_id": False, "nova_poshta_warehouse_id": False}
        branch = Warehouse.search([("ref", "=", data["branch_ref"])], limit=1) if data["branch_ref"] else Warehouse
        cities = branch.city_id if branch else (
            City.search([("name", "=ilike", data["city"])]) if data["city"] else City)
        if len(cities) > 1 and data["branch_number"]:  # same name in several regions: the branch decides
            with_branch = Warehouse.search([("city_id", "in", cities.ids), ("number", "=", data["branch_number"])])
            if len(with_branch.city_id) == 1:
                cities, branch = with_branch.city_id, with_branch[:1]
        if not cities:
            vals.update(np_match_state="no_city", np_match_note=env._(
                "Nova Poshta has no city '%(city)s': choose the city and the branch.", city=data["city"] or "-"))
        elif len(cities) > 1:
            vals.update(np_match_state="ambiguous_city", np_match_note=env._(
                "Several Nova Poshta cities are called '%(city)s' (%(areas)s): choose the city and the branch.",
                city=data["city"], areas=", ".join(cities.mapped("display_name"))))
        else:
            if not branch and data["branch_number"]:
                branch = Warehouse.search([("city_id", "=", cities.id), ("number", "=", data["branch_number"])],
                                          limit=1)
            vals.update(nova_poshta_city_id=cities.id, nova_poshta_warehouse_id=branch.id)
            if branch:
                vals["np_match_state"] = "matched"
            else:
                vals.update(np_match_state="no_branch", np_match_note=env._(
                    "%(city)s has no Nova Poshta branch or parcel locker '%(branch)s': choose one from the list.",
                    city=cities.name, branch=data["branch_number"] or data["branch_ref"] or "-"))
        return vals


class MarketplaceOrderStatus(models.Model):
    _inherit = "marketplace.order.status"

    def _mark_sent(self, status):
        result = super()._mark_sent(status)
        order = self.binding_id.sale_order_id
        if self.event == "waybill" and self.ttn and order:
            order._flow_note(self.env._("%(channel)s took the waybill %(number)s.",
                                        channel=self.channel_id.name, number=self.ttn))
        return result

    def _mark_error(self, error):
        result = super()._mark_error(error)
        order = self.binding_id.sale_order_id
        if self.event == "waybill" and order:
            order._flow_note(self.env._("%(channel)s did not take the waybill %(number)s: %(error)s",
                                        channel=self.channel_id.name, number=self.ttn or "-", error=error.message))
        return result
