"""Constants of the Nova Poshta / chatbot bridge (no Odoo import)."""

# customer events told once each: event -> stock.picking field stamped when told
TOLD_FIELDS = {"shipped": "np_told_shipped", "at_branch": "np_told_at_branch", "delivered": "np_told_delivered"}
# event -> mail template (xml id in this module) used when the customer has no messenger conversation
MAIL_TEMPLATES = {"shipped": "mail_template_np_shipped", "at_branch": "mail_template_np_at_branch",
                  "delivered": "mail_template_np_delivered"}
PARAM_RATING_DELAY = "nova_poshta_crm_chatbot.rating_delay_days"
DEFAULT_RATING_DELAY_DAYS = 3
PARAM_LOW_RATING = "nova_poshta_crm_chatbot.low_rating"
DEFAULT_LOW_RATING = 2  # this score or less opens an activity for the salesperson
RATING_STARS = "⭐"
RATING_BATCH = 200
