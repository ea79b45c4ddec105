import json

from odoo import models

from .. import const


class MarketplaceOrder(models.Model):
    _inherit = "marketplace.order"

    def _create_sale_order(self, data):
        result = super()._create_sale_order(data)
        if self.sale_order_id and self.channel_id.nova_poshta_carrier_id:
            self.sale_order_id._np_apply_marketplace_delivery()
            self.env.ref("marketplace_nova_poshta.ir_cron_marketplace_nova_poshta_flow")._trigger()
        return result

    def _np_delivery_data(self):
        """The Nova Poshta part of the marketplace's delivery data.

        :return: dict with ``city`` (name), ``branch_ref`` (NP warehouse Ref when the marketplace sends it),
            ``branch_number`` (branch / parcel locker number); None when the order is not delivered by NP
        """
        self.ensure_one()
        raw = json.loads(self.payload or "{}")
        if self.channel_type == "prom":
            provider_data = raw.get("delivery_provider_data") or {}
            if provider_data.get("provider") and provider_data["provider"] not in const.PROM_NP_PROVIDERS:
                return None
            branch = str(provider_data.get("recipient_warehouse_id") or self.np_branch or "")
        elif self.channel_type == "rozetka":
            delivery = raw.get("delivery") or {}
            service = (delivery.get("delivery_service_name") or "").lower()
            if service and not any(word in service for word in const.ROZETKA_NP_WORDS):
                return None
            branch = str(delivery.get("ref_id") or "") or str(delivery.get("place_number") or self.np_branch or "")
        else:
            branch = self.np_branch or ""
        is_ref = len(branch) == 36 and branch.count("-") == 4  # NP Refs are UUIDs
        return {"city": (self.city or "").strip(), "branch_ref": branch if is_ref else "",
                "branch_number": "" if is_ref else branch.strip().lstrip("№#").strip()}
