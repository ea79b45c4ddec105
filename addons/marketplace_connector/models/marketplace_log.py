from odoo import api, fields, models

from .. import const


class MarketplaceLog(models.Model):
    _name = "marketplace.log"
    _description = "Marketplace Call Log"
    _order = "id desc"

    channel_id = fields.Many2one("marketplace.channel", required=True, ondelete="cascade", index=True)
    operation = fields.Char(required=True)
    request = fields.Char()
    status_code = fields.Integer(string="HTTP Status")
    duration = fields.Float(string="Duration (s)", digits=(16, 3))
    error = fields.Text()

    @api.autovacuum
    def _gc_old_logs(self):
        days = int(self.env["ir.config_parameter"].sudo().get_param(
            "marketplace.log_retention_days", const.LOG_RETENTION_DAYS))
        self.env.cr.execute(
            "DELETE FROM marketplace_log WHERE create_date < now() at time zone 'UTC' - %s * interval '1 day'",
            [days])
