"""Errors the module raises to users, with what a background job needs to know about them."""

from odoo.exceptions import UserError


class NovaPoshtaUserError(UserError):
    """A translated UserError about a Nova Poshta call. `retryable`: the same request may succeed later
    (timeout, network, 5xx, NP overloaded, the picking locked by another transaction); False: Nova Poshta
    refused it and the data must be fixed first."""

    def __init__(self, message, retryable=False):
        super().__init__(message)
        self.retryable = retryable
