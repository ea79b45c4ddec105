from odoo import api, models
from odoo.tools import SQL, mute_logger


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _marketplace_lock_quants(self, product_id, location_id, lot_id=None, package_id=None, owner_id=None):
        """Lock (waiting, never skipping) the quants a reservation is about to write.

        Odoo's ``_update_available_quantity`` picks its quant with ``FOR NO KEY UPDATE SKIP LOCKED``: when a
        concurrent transaction (a marketplace import, another salesperson) holds the row, it silently creates a
        second quant carrying the reservation, and both transactions reserve the same last unit. Taking the row
        lock first (without SKIP LOCKED) makes the second transaction wait; under REPEATABLE READ it then fails
        with a serialization error once the first one commits, and is retried (Odoo's RPC layer and the import
        cron both retry) on fresh data, where the unit is no longer free.
        """
        quants = self.sudo()._gather(product_id, location_id, lot_id=lot_id, package_id=package_id,
                                     owner_id=owner_id, strict=True)
        if quants:
            # the serialization error is the expected end of a race (the caller retries): no ERROR log for it
            with mute_logger("odoo.sql_db"):
                self.env.cr.execute(SQL(
                    "SELECT id FROM stock_quant WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE", quants.ids))

    @api.model
    def _update_available_quantity(self, product_id, location_id, quantity=False, reserved_quantity=False,
                                   **kwargs):
        result = super()._update_available_quantity(
            product_id, location_id, quantity=quantity, reserved_quantity=reserved_quantity, **kwargs)
        self.env["marketplace.offer"]._mark_dirty(product_id)
        return result

    @api.model
    def _update_reserved_quantity(self, product_id, location_id, quantity, **kwargs):
        if quantity > 0 and product_id.is_storable and not location_id.should_bypass_reservation():
            self._marketplace_lock_quants(product_id, location_id, lot_id=kwargs.get("lot_id"),
                                          package_id=kwargs.get("package_id"), owner_id=kwargs.get("owner_id"))
        result = super()._update_reserved_quantity(product_id, location_id, quantity, **kwargs)
        self.env["marketplace.offer"]._mark_dirty(product_id)
        return result

    @api.model_create_multi
    def create(self, vals_list):
        quants = super().create(vals_list)
        self.env["marketplace.offer"]._mark_dirty(quants.product_id)
        return quants

    def write(self, vals):
        result = super().write(vals)
        if {"quantity", "reserved_quantity", "inventory_quantity"} & set(vals):
            self.env["marketplace.offer"]._mark_dirty(self.product_id)
        return result


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_cancel(self):
        products = self.product_id
        result = super()._action_cancel()
        self.env["marketplace.offer"]._mark_dirty(products)
        return result

    def _do_unreserve(self):
        products = self.product_id
        result = super()._do_unreserve()
        self.env["marketplace.offer"]._mark_dirty(products)
        return result
