from odoo import api, models


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _update_available_quantity(self, product_id, location_id, quantity=False, reserved_quantity=False,
                                   **kwargs):
        result = super()._update_available_quantity(
            product_id, location_id, quantity=quantity, reserved_quantity=reserved_quantity, **kwargs)
        self.env["marketplace.offer"]._mark_dirty(product_id)
        return result

    @api.model
    def _update_reserved_quantity(self, product_id, location_id, quantity, **kwargs):
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
