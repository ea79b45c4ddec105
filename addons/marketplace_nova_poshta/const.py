"""Constants of the marketplace / Nova Poshta bridge (no Odoo import)."""

# Where an order is in the flow (sale.order.flow_stage), in order
FLOW_STAGES = [
    ("reserving", "Waiting for stock"),
    ("ready", "Ready for the waybill"),
    ("waybill_queued", "Waybill being created"),
    ("waybill", "Waybill created"),
    ("shipped", "Handed to Nova Poshta"),
    ("at_branch", "At the branch"),
    ("delivered", "Delivered"),
    ("refused", "Refused"),
    ("returned", "Returned"),
    ("cancelled", "Cancelled"),
]
# picking.nova_poshta_state -> flow stage once the waybill exists
STAGE_BY_NP_STATE = {
    "created": "waybill", "in_transit": "shipped", "at_branch": "at_branch", "delivered": "delivered",
    "refused": "refused", "returned": "returned",
}
# Nova Poshta states meaning Nova Poshta has the parcel: the delivery is validated by itself
NP_HAS_PARCEL = ("in_transit", "at_branch", "delivered", "refused", "returned")

# result of mapping the marketplace's delivery data to a Nova Poshta city / branch
MATCH_STATES = [
    ("matched", "Matched"),
    ("manual", "Chosen by hand"),
    ("no_city", "City not found"),
    ("ambiguous_city", "Several cities match"),
    ("no_branch", "Branch not found"),
    ("not_nova_poshta", "Not a Nova Poshta delivery"),
]
MATCH_OK = ("matched", "manual")
# Prom delivery_provider_data.provider / Rozetka delivery_service_name values meaning Nova Poshta
PROM_NP_PROVIDERS = ("nova_poshta",)
ROZETKA_NP_WORDS = ("нова пошта", "nova poshta", "новая почта")
CANDIDATES_SHOWN = 8
