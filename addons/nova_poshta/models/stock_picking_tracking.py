"""'Update tracking' on a picking: the Nova Poshta status now, answered in plain words. The cron keeps
doing the same in the background (stock_picking._cron_nova_poshta_update_tracking)."""

from odoo import fields, models
from odoo.exceptions import UserError

from ..tools.nova_poshta_api import NovaPoshtaError


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def action_nova_poshta_update_tracking(self):
        """Ask Nova Poshta for the status of the selected waybills now; a failure is noted on the pickings
        (NP Tracking Error) and answered without an error dialog."""
        pickings = self.filtered(lambda p: p.carrier_id.delivery_type == "nova_poshta" and p.nova_poshta_number)
        if not pickings:
            raise UserError(self.env._("Select transfers with a Nova Poshta waybill."))
        changed, failed = self.browse(), self.browse()
        for carrier, group in pickings.grouped("carrier_id").items():
            # stored texts (error, chatter, activities) in the shop's language; the answer in the clicker's
            carrier = carrier._nova_poshta_in_company_lang()
            group = group.with_env(carrier.env)
            try:
                rows = carrier._nova_poshta_api().tracking(
                    [(p.nova_poshta_number, p._nova_poshta_tracking_phone()) for p in group])
            except (NovaPoshtaError, UserError) as error:
                reason = carrier._nova_poshta_error_message(error) if isinstance(error, NovaPoshtaError) \
                    else error.args[0]
                group.write({"nova_poshta_tracking_error": reason})
                failed |= group
                continue
            by_number = {row.get("Number"): row for row in rows}
            for picking in group:
                row = by_number.get(picking.nova_poshta_number)
                if row and picking._nova_poshta_apply_status(row):
                    changed |= picking
                if row and picking.nova_poshta_tracking_error:
                    picking.nova_poshta_tracking_error = False
        (pickings - failed).write({"nova_poshta_checked_at": fields.Datetime.now()})
        if failed:
            kind = "warning"
            message = self.env._("No answer from Nova Poshta for %(count)s waybills: the status is checked again "
                                 "automatically. The details are under NP Tracking Error.", count=len(failed))
        elif len(pickings) == 1:
            kind = "success"
            labels = dict(pickings._fields["nova_poshta_state"]._description_selection(self.env))
            message = self.env._("Nova Poshta status: %(status)s. %(text)s",
                                 status=labels.get(pickings.nova_poshta_state, "-"),
                                 text=pickings.nova_poshta_status_text or "")
        else:
            kind = "success"
            message = self.env._("%(count)s waybills checked, %(changed)s with a new status.",
                                 count=len(pickings), changed=len(changed))
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": kind, "title": self.env._("Nova Poshta tracking"), "message": message, "sticky": bool(failed),
            "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}
