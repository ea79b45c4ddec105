import logging
import math
import re
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .. import const
from ..exceptions import NovaPoshtaUserError
from ..tools.nova_poshta_api import NovaPoshtaApi, NovaPoshtaError, normalize_phone

_logger = logging.getLogger(__name__)


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    delivery_type = fields.Selection(
        selection_add=[("nova_poshta", "Nova Poshta")],
        ondelete={"nova_poshta": "set default"},
    )
    nova_poshta_api_key = fields.Char(
        string="Nova Poshta API Key", groups="base.group_system", copy=False
    )
    nova_poshta_key_expiry = fields.Date(
        string="API Key Expiry", help="Shown as a warning on the carrier 30 days before the key expires."
    )
    nova_poshta_key_warning = fields.Char(compute="_compute_nova_poshta_key_warning")
    nova_poshta_sender_ref = fields.Char(string="Sender Counterparty Ref", copy=False)
    nova_poshta_contact_ref = fields.Char(string="Sender Contact Ref", copy=False)
    nova_poshta_sender_name = fields.Char(string="Sender", copy=False)
    nova_poshta_sender_phone = fields.Char(string="Sender Phone")
    nova_poshta_sender_city_id = fields.Many2one("nova_poshta.city", string="Sender City")
    nova_poshta_sender_warehouse_id = fields.Many2one(
        "nova_poshta.warehouse", string="Sender Branch",
        domain="[('city_id', '=', nova_poshta_sender_city_id)]",
    )
    nova_poshta_payer_type = fields.Selection(const.PAYER_TYPES, string="Payer", default="Recipient")
    nova_poshta_payment_method = fields.Selection(const.PAYMENT_METHODS, string="Payment Method", default="Cash")
    nova_poshta_cargo_type = fields.Selection(const.CARGO_TYPES, string="Cargo Type", default="Parcel")
    nova_poshta_service_type = fields.Selection(
        const.SERVICE_TYPES, string="Service Type", default="WarehouseWarehouse"
    )
    nova_poshta_cod_mode = fields.Selection(
        [("none", "No cash on delivery"), ("backward", "Cash on delivery (money transfer)"),
         ("afterpayment", "Payment control (to the sender's account)")],
        string="Cash on Delivery", default="none", required=True,
    )
    nova_poshta_cod_includes_delivery = fields.Boolean(
        string="COD Includes the Delivery Charge",
        help="Only when the sender pays Nova Poshta: the delivery line of the order is the shop's charge and is "
             "collected with the goods. When the recipient pays, the customer pays Nova Poshta at the branch and "
             "the cash on delivery never includes the delivery line.")
    nova_poshta_cod_journal_id = fields.Many2one(
        "account.journal", string="COD Payment Journal", check_company=True,
        domain="[('type', 'in', ('bank', 'cash'))]",
        help="When set, the cash on delivery that Nova Poshta pays out is registered as a payment of the "
             "order's posted invoices in this journal (e.g. a 'Nova Poshta transfers' bank journal). "
             "Empty: the payout is only noted on the order.")
    nova_poshta_use_locations = fields.Boolean(
        string="Branch Picker at Checkout", default=True,
        help="Customers choose the Nova Poshta branch or parcel locker in the website checkout (searchable by "
             "city and number).")
    nova_poshta_default_weight = fields.Float(string="Default Weight (kg)", default=1.0)
    nova_poshta_default_length = fields.Integer(string="Default Length (cm)", default=30)
    nova_poshta_default_width = fields.Integer(string="Default Width (cm)", default=20)
    nova_poshta_default_height = fields.Integer(string="Default Height (cm)", default=10)
    nova_poshta_description = fields.Char(string="Cargo Description", default="Товари", translate=False)

    @api.depends("nova_poshta_key_expiry")
    def _compute_nova_poshta_key_warning(self):
        today = fields.Date.context_today(self)
        for carrier in self:
            expiry = carrier.nova_poshta_key_expiry
            carrier.nova_poshta_key_warning = (
                self.env._(
                    "The Nova Poshta API key expires on %(date)s: generate a new one in the Nova Poshta cabinet.",
                    date=expiry)
                if expiry and expiry - today <= timedelta(days=30) else False
            )

    @api.constrains("nova_poshta_default_weight", "nova_poshta_default_length", "nova_poshta_default_width",
                    "nova_poshta_default_height")
    def _check_nova_poshta_defaults(self):
        for carrier in self.filtered(lambda c: c.delivery_type == "nova_poshta"):
            if carrier.nova_poshta_default_weight < 0.1:
                raise ValidationError(self.env._("Nova Poshta: the default weight must be at least 0.1 kg."))
            if min(carrier.nova_poshta_default_length, carrier.nova_poshta_default_width,
                   carrier.nova_poshta_default_height) <= 0:
                raise ValidationError(self.env._("Nova Poshta: default dimensions must be positive."))

    # -- client factory and error mapping -----------------------------------------------
    def _nova_poshta_api(self):
        self.ensure_one()
        key = self.sudo().nova_poshta_api_key
        if not key:
            raise UserError(self.env._("Nova Poshta: set the API key on the carrier %(name)s.", name=self.name))
        params = self.env["ir.config_parameter"].sudo()
        url = self._nova_poshta_endpoint("api")
        timeout = float(params.get_param("nova_poshta.timeout") or const.DEFAULT_TIMEOUT)
        carrier = self

        def log_call(model, method, request, result, seconds):
            if carrier.debug_logging:
                carrier.log_xml(f"{model}.{method} ({seconds:.3f}s)\n{request}\n{result}", f"nova_poshta_{method}")

        return NovaPoshtaApi(key, url=url, timeout=timeout, on_call=log_call)

    def _nova_poshta_in_company_lang(self):
        """Self in the shop's language (its company partner's, else the current company's): what a cron or
        a button writes for the staff to read later is in it, not in the cron user's nor the clicker's."""
        lang = (self.company_id[:1] or self.env.company).partner_id.lang
        return self.with_context(lang=lang) if lang and lang != self.env.context.get("lang") else self

    def _nova_poshta_endpoint(self, kind):
        """URL of the `kind` endpoint ('api', 'print', 'tracking') for this carrier's test / production mode.

        Each mode reads only its own parameters (const.ENDPOINT_PARAMS), so the switch really switches every
        endpoint and a test-mode URL never serves a carrier in production.
        """
        self.ensure_one()
        mode = "prod" if self.prod_environment else "test"
        params = self.env["ir.config_parameter"].sudo()
        for key in const.ENDPOINT_PARAMS[kind][mode]:
            url = params.get_param(key)
            if url:
                return url
        return const.ENDPOINTS[kind][mode]

    def _nova_poshta_error_message(self, error):
        """Translated message for a NovaPoshtaError, naming the field to fix when known."""
        field = const.ERROR_FIELDS.get(error.code or "")
        messages = {
            "nova_poshta_api_key": self.env._("check the API key on the carrier"),
            "partner_id": self.env._("check the recipient's first and last name"),
            "scheduled_date": self.env._("the shipping date cannot be in the past"),
        }
        if error.code == "timeout":
            return self.env._("Nova Poshta did not answer in time. Nothing was lost: try again in a minute.")
        if error.code in ("network", "malformed") or (error.code or "").startswith("http_"):
            # plain words; the technical detail (with the host) stays in the server log
            if error.code == "network":
                detail = self.env._("no connection")
            elif error.code == "malformed":
                detail = self.env._("unreadable answer")
            else:
                detail = f"HTTP {error.code[5:]}"
            _logger.warning("Nova Poshta unreachable: %s", error.message)
            return self.env._("Nova Poshta is unreachable right now (%(detail)s). Try again later.",
                              detail=detail)
        if error.code == "print":  # the print service answered, but not with the PDF (a wrong key)
            return self.env._("Nova Poshta did not print the documents: check the API key on the carrier.")
        if field:
            return self.env._("Nova Poshta: %(message)s (%(hint)s).", message=error.message, hint=messages[field])
        return self.env._("Nova Poshta: %(message)s", message=error.message)

    def action_nova_poshta_test_connection(self):
        self.ensure_one()
        try:
            senders = self._nova_poshta_api().get_counterparties("Sender")
            if senders and not self.nova_poshta_sender_ref:
                contacts = self._nova_poshta_api().get_contact_persons(senders[0]["Ref"])
                self.write({
                    "nova_poshta_sender_ref": senders[0]["Ref"],
                    "nova_poshta_sender_name": senders[0].get("Description"),
                    "nova_poshta_contact_ref": contacts[0]["Ref"] if contacts else False,
                    "nova_poshta_sender_phone": self.nova_poshta_sender_phone
                    or (contacts[0].get("Phones") if contacts else False),
                })
        except NovaPoshtaError as error:
            raise UserError(self._nova_poshta_error_message(error)) from None
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"type": "success", "title": self.env._("Nova Poshta"),
                       "message": self.env._("Connection works. Sender: %(sender)s",
                                             sender=self.nova_poshta_sender_name or "-")},
        }

    # -- pickup locations (Odoo's location selector: website checkout) -------------------------
    def _nova_poshta_get_close_locations(self, partner_address, **kwargs):
        """Branches and parcel lockers for the location selector, searched by city and number.

        The selector passes what the customer typed as `partner_address.zip` ("Львів 5", "5", "Київ");
        without it, the branches of the address's Nova Poshta city are listed.

        :return: list of location dicts (id = nova_poshta.warehouse id), at most `nova_poshta.pickup_limit`
        """
        self.ensure_one()
        Warehouse = self.env["nova_poshta.warehouse"].sudo()
        text = (partner_address.zip or "").strip()
        domain = []
        if text:
            words = text.replace(",", " ").replace("№", " ").split()
            numbers = [w for w in words if w.isdigit()]
            names = [w for w in words if not w.isdigit()]
            if numbers:
                domain.append(("number", "=", numbers[0]))
            for name in names:
                domain.append(("city_id.name", "=ilike", f"{name}%"))
        else:
            city = partner_address.nova_poshta_city_id
            domain = [("city_id", "=", city.id)] if city else (
                [("city_id.name", "=ilike", partner_address.city)] if partner_address.city else [])
        if not domain:
            return []
        limit = int(self.env["ir.config_parameter"].sudo().get_param("nova_poshta.pickup_limit", 30))
        warehouses = Warehouse.search(domain, order="number_int, id", limit=limit)
        return [{
            "id": warehouse.id, "name": warehouse.name, "street": warehouse.address or "",
            "city": warehouse.city_id.name, "zip_code": warehouse.number or "", "country_code": "UA",
            "state": False, "latitude": 0.0, "longitude": 0.0,
            "additional_data": {"nova_poshta_ref": warehouse.ref, "category": warehouse.category},
        } for warehouse in warehouses]

    # -- rate ----------------------------------------------------------------------------
    def nova_poshta_rate_shipment(self, order):
        self.ensure_one()
        city = order.partner_shipping_id.nova_poshta_city_id
        if not self.nova_poshta_sender_city_id:
            return self._nova_poshta_rate_error(self.env._("Nova Poshta: set the sender city on the carrier."))
        if not city:
            return self._nova_poshta_rate_error(
                self.env._("Nova Poshta: choose the recipient's city on the delivery address."))
        # the "add shipping" wizard passes the weight the user may have corrected as `order_weight`
        weight = max(self.env.context.get("order_weight") or order._get_estimated_weight()
                     or self.nova_poshta_default_weight, 0.1)
        seats = self._nova_poshta_order_seats(order, weight)
        goods = self._nova_poshta_uah(order._nova_poshta_goods_value(), order.currency_id, order.company_id)
        props = {
            "CitySender": self.nova_poshta_sender_city_id.ref, "CityRecipient": city.ref,
            "Weight": round(weight, 3), "ServiceType": self.nova_poshta_service_type,
            # declared value: the goods' value, the same figure as on the waybill (never the delivery line)
            "Cost": round(max(goods, 1), 2),
            "CargoType": self.nova_poshta_cargo_type,
            "SeatsAmount": len(seats), "OptionsSeat": seats,
            "VolumeGeneral": round(sum(seat["volumetricVolume"] for seat in seats), 4),
        }
        if self.nova_poshta_cod_mode == "backward":
            cod = self._nova_poshta_uah(order._nova_poshta_cod_estimate(self), order.currency_id, order.company_id)
            if cod > 0:
                props["RedeliveryCalculate"] = {"CargoType": "Money", "Amount": round(cod, 2)}
        try:
            api = self._nova_poshta_api()
            price = api.get_document_price(props)
            date = api.get_delivery_date({
                "DateTime": fields.Date.context_today(self).strftime("%d.%m.%Y"),
                "ServiceType": self.nova_poshta_service_type,
                "CitySender": props["CitySender"], "CityRecipient": props["CityRecipient"],
            })
        except (NovaPoshtaError, UserError) as error:
            message = self._nova_poshta_error_message(error) if isinstance(error, NovaPoshtaError) else str(error)
            return self._nova_poshta_rate_error(message)
        amount = float(price.get("Cost") or 0) + float(price.get("CostRedelivery") or 0)
        currency = self.env.ref("base.UAH", raise_if_not_found=False) or order.company_id.currency_id
        if currency != order.currency_id:
            amount = currency._convert(amount, order.currency_id, order.company_id, fields.Date.today())
        return {
            "success": True, "price": amount, "error_message": False,
            "warning_message": self.env._("Expected delivery: %(date)s", date=date) if date else False,
            "nova_poshta_delivery_date": date,
        }

    def _nova_poshta_cod_includes_delivery(self):
        """True when the cash on delivery collects the order's delivery line too.

        Recipient pays (the usual case): the customer pays Nova Poshta for the delivery at the branch, so the
        delivery line is never collected again. Sender pays: the delivery line is the shop's charge, collected
        with the goods when the carrier says so.
        """
        self.ensure_one()
        return self.nova_poshta_payer_type == "Sender" and self.nova_poshta_cod_includes_delivery

    def _nova_poshta_uah(self, amount, currency, company, date=None):
        """`amount` in `currency` converted to hryvnias: Nova Poshta takes every amount in UAH."""
        uah = self.env.ref("base.UAH", raise_if_not_found=False)
        if not amount or not uah or not currency or currency == uah:
            return amount
        return currency._convert(amount, uah, company, date or fields.Date.context_today(self))

    def _nova_poshta_order_volume(self, order):
        """Volume of the order's goods in m³, from the products' volume (cubic feet converted)."""
        lines = order.order_line.filtered(
            lambda line: line.product_id.type == "consu" and not line.is_delivery and not line.display_type
            and line.product_uom_qty > 0)
        volume = sum(line.product_qty * line.product_id.volume for line in lines)
        uom = self.env["product.template"]._get_volume_uom_id_from_ir_config_parameter()
        cubic_meter = self.env.ref("uom.product_uom_cubic_meter", raise_if_not_found=False)
        if volume and cubic_meter and uom != cubic_meter:
            volume = uom._compute_quantity(volume, cubic_meter)
        return volume

    def _nova_poshta_order_seats(self, order, weight):
        """Seats (OptionsSeat) for a quote: the weight split into seats of at most the per-seat limit,
        each a box of the default dimensions grown in proportion when the products' volume needs more.

        :return: list of dicts with NP's lower-camel keys (cm, kg, m³)
        """
        count = max(1, math.ceil(weight / const.SEAT_MAX_WEIGHT))
        length, width, height = (self.nova_poshta_default_length, self.nova_poshta_default_width,
                                 self.nova_poshta_default_height)
        box = length * width * height / 1_000_000
        needed = self._nova_poshta_order_volume(order) / count
        scale = (needed / box) ** (1 / 3) if box and needed > box else 1.0
        seat = {
            "volumetricLength": round(length * scale, 1), "volumetricWidth": round(width * scale, 1),
            "volumetricHeight": round(height * scale, 1), "weight": round(weight / count, 3),
        }
        seat["volumetricVolume"] = round(
            seat["volumetricLength"] * seat["volumetricWidth"] * seat["volumetricHeight"] / 1_000_000, 4)
        return [dict(seat) for _i in range(count)]

    def _nova_poshta_rate_error(self, message):
        return {"success": False, "price": 0.0, "error_message": message, "warning_message": False}

    # -- send ------------------------------------------------------------------------------
    def nova_poshta_send_shipping(self, pickings):
        return [self._nova_poshta_send_one(picking) for picking in pickings]

    def _nova_poshta_lock_picking(self, picking):
        try:
            # in a savepoint: a refused lock must leave the transaction usable for the translated message
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(SQL("SELECT id FROM stock_picking WHERE id = %s FOR UPDATE NOWAIT", picking.id))
        except psycopg2.errors.LockNotAvailable as error:
            raise NovaPoshtaUserError(self.env._(
                "Nova Poshta: the waybill for %(picking)s is already being processed. Wait a moment and reload.",
                picking=picking.name), retryable=True) from error
        picking.invalidate_recordset()

    def _nova_poshta_check_picking(self, picking):
        """Validate what Nova Poshta needs before any call; return (phone, first, last, weight)."""
        partner = picking.partner_id
        errors = []
        if not (self.nova_poshta_sender_ref and self.nova_poshta_contact_ref and self.nova_poshta_sender_city_id):
            errors.append(self.env._("the carrier has no sender: press 'Test connection' on the carrier"))
        if self.nova_poshta_service_type.startswith("Warehouse") and not self.nova_poshta_sender_warehouse_id:
            errors.append(self.env._("the carrier has no sender branch"))
        if not picking.nova_poshta_city_id:
            errors.append(self.env._("the recipient city is missing"))
        if self.nova_poshta_service_type.endswith("Warehouse") and not picking.nova_poshta_warehouse_id:
            errors.append(self.env._("the recipient branch is missing"))
        if self.nova_poshta_service_type.endswith("Doors"):
            if not partner.street:
                errors.append(self.env._("the recipient street is missing"))
            elif not self._nova_poshta_split_street(partner.street)[1]:
                errors.append(self.env._("the recipient street has no house number"))
            street = partner.nova_poshta_street_id
            if not street or street.city_id != picking.nova_poshta_city_id:
                errors.append(self.env._(
                    "choose the recipient's street from the Nova Poshta directory on the address"))
        phone = normalize_phone(partner.mobile or partner.phone)
        if not phone:
            errors.append(self.env._("the recipient needs a Ukrainian mobile phone (+380...)"))
        names = (partner.name or "").split()
        if len(names) < 2:
            errors.append(self.env._("the recipient needs a first and a last name"))
        weight = (picking.nova_poshta_weight or picking.shipping_weight or picking.weight
                  or self.nova_poshta_default_weight)
        if picking.nova_poshta_warehouse_id.max_weight and weight > picking.nova_poshta_warehouse_id.max_weight:
            errors.append(self.env._("the parcel (%(weight)s kg) is heavier than the branch accepts (%(max)s kg)",
                                     weight=weight, max=picking.nova_poshta_warehouse_id.max_weight))
        branch = picking.nova_poshta_warehouse_id
        if self.nova_poshta_service_type.endswith("Warehouse") and branch.category == "postomat":
            limits = sorted([branch.max_length, branch.max_width, branch.max_height])
            for seat in self._nova_poshta_seats(picking, weight):
                size = sorted([seat["volumetricLength"], seat["volumetricWidth"], seat["volumetricHeight"]])
                if all(limits) and any(s > m for s, m in zip(size, limits, strict=True)):
                    errors.append(self.env._(
                        "a package (%(size)s cm) does not fit the parcel locker (%(max)s cm)",
                        size="×".join(f"{v:g}" for v in size), max="×".join(f"{v:g}" for v in limits)))
                    break
        if errors:
            raise UserError(self.env._("Nova Poshta cannot create the waybill for %(picking)s: %(errors)s.",
                                       picking=picking.name, errors="; ".join(errors)))
        last, first = names[0], names[1]
        return phone, first, last, max(weight, 0.1)

    @staticmethod
    def _nova_poshta_split_street(street):
        """'вул. Хрещатик, 22' -> ('вул. Хрещатик', '22'); no house number -> (street, '')."""
        match = re.match(r"^(.*?)[,\s]+(?:буд\.?\s*)?(\d+[\w/-]*)\s*$", (street or "").strip())
        return (match.group(1).strip(), match.group(2)) if match else ((street or "").strip(), "")

    def _nova_poshta_seats(self, picking, weight):
        packages = picking.move_line_ids.result_package_id
        seats = []
        for package in packages:
            ptype = package.package_type_id
            seats.append({
                "volumetricLength": ptype.packaging_length / 10 if ptype.packaging_length
                else self.nova_poshta_default_length,
                "volumetricWidth": ptype.width / 10 if ptype.width else self.nova_poshta_default_width,
                "volumetricHeight": ptype.height / 10 if ptype.height else self.nova_poshta_default_height,
                "weight": round(package.shipping_weight or package.weight or weight / len(packages), 3),
            })
        if not seats:
            count = max(picking.nova_poshta_seats_amount, 1)
            seats = [{"volumetricLength": self.nova_poshta_default_length,
                      "volumetricWidth": self.nova_poshta_default_width,
                      "volumetricHeight": self.nova_poshta_default_height, "weight": round(weight / count, 3)}
                     for _i in range(count)]
        for seat in seats:
            seat["volumetricVolume"] = round(
                seat["volumetricLength"] * seat["volumetricWidth"] * seat["volumetricHeight"] / 1_000_000, 4)
        return seats

    def _prepare_nova_poshta_document_vals(self, picking, recipient, contact, phone, weight):
        seats = self._nova_poshta_seats(picking, weight)
        value = picking._nova_poshta_declared_value()
        vals = {
            "PayerType": self.nova_poshta_payer_type, "PaymentMethod": self.nova_poshta_payment_method,
            "DateTime": self._nova_poshta_document_date(picking),
            "CargoType": self.nova_poshta_cargo_type, "ServiceType": self.nova_poshta_service_type,
            "Weight": round(sum(s["weight"] for s in seats), 3), "SeatsAmount": len(seats), "OptionsSeat": seats,
            "VolumeGeneral": round(sum(s["volumetricVolume"] for s in seats), 4),
            "Description": self.nova_poshta_description or picking.name, "Cost": round(max(value, 1), 2),
            "CitySender": self.nova_poshta_sender_city_id.ref, "Sender": self.nova_poshta_sender_ref,
            "SenderAddress": self.nova_poshta_sender_warehouse_id.ref, "ContactSender": self.nova_poshta_contact_ref,
            "SendersPhone": normalize_phone(self.nova_poshta_sender_phone) or "",
            "CityRecipient": picking.nova_poshta_city_id.ref, "Recipient": recipient,
            "RecipientAddress": picking.nova_poshta_warehouse_id.ref, "ContactRecipient": contact,
            "RecipientsPhone": phone, "InfoRegClientBarcodes": self._nova_poshta_client_ref(picking),
            # the marker again in a field every getDocumentList variant returns
            "AdditionalInformation": self._nova_poshta_client_ref(picking),
        }
        if self.nova_poshta_service_type.endswith("Doors"):
            # door delivery: RecipientAddress is the recipient's address saved with Address.save from the street
            # of the directory (its Ref), the house and the flat - see _nova_poshta_door_address
            vals["RecipientAddress"] = self.env.context.get("nova_poshta_door_address") or ""
        if picking.nova_poshta_cod_amount > 0:
            if self.nova_poshta_cod_mode == "afterpayment":
                vals["AfterpaymentOnGoodsCost"] = round(picking.nova_poshta_cod_amount, 2)
            else:
                vals["BackwardDeliveryData"] = [{"PayerType": "Recipient", "CargoType": "Money",
                                                 "RedeliveryString": str(round(picking.nova_poshta_cod_amount, 2))}]
        return vals

    @staticmethod
    def _nova_poshta_client_ref(picking):
        """Our reference on the waybill (InfoRegClientBarcodes): the same on every attempt for a picking."""
        return f"{picking.name}/{picking.id}"

    def _nova_poshta_side_cursor(self):
        # HttpCase/tests share the test cursor; otherwise a fresh connection that commits on its own
        return self.env.registry.cursor()

    def _nova_poshta_mark_attempt(self, picking):
        """Record, in its own committed transaction, that we are about to ask NP for a waybill.

        If the answer is lost (timeout) after NP created the document, the business transaction rolls
        back but this record survives, so the next attempt looks the document up instead of creating a
        second one. The table has no foreign key: the picking row is locked by the business transaction.
        """
        with self._nova_poshta_side_cursor() as cr:
            cr.execute(SQL(
                "INSERT INTO nova_poshta_attempt (picking_key, client_ref, create_date, write_date) "
                "VALUES (%s, %s, now() at time zone 'UTC', now() at time zone 'UTC')",
                picking.id, self._nova_poshta_client_ref(picking)))

    def _nova_poshta_was_attempted(self, picking):
        with self._nova_poshta_side_cursor() as cr:
            cr.execute(SQL("SELECT 1 FROM nova_poshta_attempt WHERE picking_key = %s LIMIT 1", picking.id))
            return bool(cr.fetchone())

    def _nova_poshta_find_existing(self, api, picking):
        """After a lost answer, the waybill NP may have created: looked up on the document date we sent, by
        our own marker, in a bounded number of pages (see NovaPoshtaApi.find_document)."""
        if not self._nova_poshta_was_attempted(picking):
            return None
        client_ref = self._nova_poshta_client_ref(picking)
        day = self._nova_poshta_document_date(picking)
        max_pages = int(self.env["ir.config_parameter"].sudo().get_param(
            "nova_poshta.document_list_max_pages", const.DOCUMENT_LIST_MAX_PAGES))
        return api.find_document(
            day, day, lambda doc: client_ref in (doc.get("InfoRegClientBarcodes"), doc.get("AdditionalInformation")),
            max_pages=max_pages)

    def _nova_poshta_document_date(self, picking):
        """The waybill's DateTime (dd.mm.yyyy): the scheduled day, never before the shop's today."""
        today = picking._nova_poshta_shop_today()
        return max(picking.scheduled_date.date(), today).strftime("%d.%m.%Y")

    def _nova_poshta_send_one(self, picking):
        self._nova_poshta_lock_picking(picking)
        if picking.nova_poshta_document_ref:  # double click, or already sent: never a second waybill
            return {"exact_price": picking.nova_poshta_cost, "tracking_number": picking.nova_poshta_number}
        phone, first, last, weight = self._nova_poshta_check_picking(picking)
        picking._nova_poshta_refresh_cod()
        api = self._nova_poshta_api()
        try:
            document = self._nova_poshta_find_existing(api, picking)
            if not document:
                self._nova_poshta_mark_attempt(picking)
                try:
                    document = self._nova_poshta_save_document(api, picking, phone, weight)
                except NovaPoshtaError as error:
                    # a remembered recipient Nova Poshta no longer knows: forget it and save it again, once
                    # (a refused save creates no document, so repeating it is safe)
                    if not self._nova_poshta_forget_recipient(error, phone):
                        raise
                    document = self._nova_poshta_save_document(api, picking, phone, weight)
        except NovaPoshtaError as error:
            raise NovaPoshtaUserError(self._nova_poshta_error_message(error), retryable=error.retryable) from None
        cost = float(document.get("CostOnSite") or 0)
        estimated = document.get("EstimatedDeliveryDate")
        picking.write({
            "nova_poshta_client_ref": self._nova_poshta_client_ref(picking),
            "nova_poshta_document_ref": document["Ref"],
            "nova_poshta_number": document["IntDocNumber"],
            "nova_poshta_phone": phone,
            "nova_poshta_cost": cost,
            "nova_poshta_waybill_date": fields.Datetime.now(),
            "nova_poshta_estimated_date": estimated and fields.Date.to_date(
                "-".join(reversed(estimated.split(".")))),
            "nova_poshta_state": "created",
            "nova_poshta_status_code": "1",
            "nova_poshta_waybill_state": "done", "nova_poshta_waybill_error": False,
            "nova_poshta_waybill_next_try": False,
        })
        # the order's other parcels now share what is left to collect
        (picking._nova_poshta_cod_parcels() - picking)._nova_poshta_refresh_cod()
        return {"exact_price": cost, "tracking_number": document["IntDocNumber"]}

    def _nova_poshta_save_document(self, api, picking, phone, weight):
        """Recipient (reused or saved), door address if needed, then InternetDocument.save -> document."""
        recipient, contact = self._nova_poshta_recipient(api, picking, phone)
        carrier = self
        if self.nova_poshta_service_type.endswith("Doors"):
            carrier = self.with_context(
                nova_poshta_door_address=self._nova_poshta_door_address(api, picking, recipient))
        return api.save_document(
            carrier._prepare_nova_poshta_document_vals(picking, recipient, contact, phone, weight))

    def _nova_poshta_forget_recipient(self, error, phone):
        """True when `error` says the recipient refs are unknown and remembered refs for `phone` were dropped."""
        text = (error.message or "").lower()
        if "recipient" not in text or "invalid" not in text:
            return False
        Recipient = self.env["nova_poshta.recipient"].sudo()
        stale = Recipient.search([("carrier_id", "=", self.id), ("key", "=like", f"{phone}|%")])
        stale.unlink()
        return bool(stale)

    def _nova_poshta_door_address(self, api, picking, counterparty_ref):
        """Address.save for door delivery -> address Ref: the street Ref from the directory, house, flat."""
        partner = picking.partner_id
        _street, house = self._nova_poshta_split_street(partner.street)
        return api.save_address(counterparty_ref, partner.nova_poshta_street_id.ref, house,
                                flat=partner.street2 or "")

    @staticmethod
    def _nova_poshta_person_names(name):
        """'Петренко Олена Іванівна' -> (last, first, middle); the middle name may be empty."""
        parts = (name or "").split()
        return (parts[0] if parts else "", parts[1] if len(parts) > 1 else "", " ".join(parts[2:]))

    def _nova_poshta_recipient(self, api, picking, phone):
        """(counterparty ref, contact ref) of the recipient, reused per carrier, phone and name.

        A private person is saved with Counterparty.save (first, middle and last name); a company is saved as
        an Organization (EDRPOU from the company's tax id) with the person who collects the parcel as its
        contact person. Refs are kept in nova_poshta.recipient so repeat customers cost no extra call.
        """
        partner = picking.partner_id
        company = partner.commercial_partner_id if partner.commercial_partner_id.is_company else None
        person = partner
        if partner == company:  # the company itself: the parcel is collected by its first contact
            person = company.child_ids.filtered(lambda c: c.type == "contact" and c.name)[:1] or partner
        last, first, middle = self._nova_poshta_person_names(person.name)
        edrpou = "".join(ch for ch in (company.vat or "") if ch.isdigit()) if company else ""
        Recipient = self.env["nova_poshta.recipient"].sudo()
        key = Recipient._nova_poshta_key(phone, last, first, middle, edrpou)
        cached = Recipient.search([("carrier_id", "=", self.id), ("key", "=", key)], limit=1)
        if cached:
            return cached.counterparty_ref, cached.contact_ref
        if company and edrpou:
            counterparty = api.save_organisation(company.name, edrpou, city_ref=picking.nova_poshta_city_id.ref)
            contact = api.save_contact_person(counterparty, first, last, phone, middle_name=middle,
                                              email=person.email or "")
        else:
            counterparty, contact = api.save_recipient(first, last, phone, middle_name=middle,
                                                       email=person.email or "")
        Recipient._nova_poshta_remember(self, key, counterparty, contact)
        return counterparty, contact

    # -- edit an existing waybill, import the cabinet's waybills --------------------------------
    def _nova_poshta_update_one(self, picking):
        """InternetDocument.update with the picking's current branch, COD, weight and seats.

        Nova Poshta accepts changes only before the parcel is handed over (status 1).
        """
        if picking.nova_poshta_state != "created":
            raise UserError(self.env._(
                "Nova Poshta: waybill %(number)s can only be changed before the parcel is handed over.",
                number=picking.nova_poshta_number))
        self._nova_poshta_lock_picking(picking)
        phone, _first, _last, weight = self._nova_poshta_check_picking(picking)
        api = self._nova_poshta_api()
        try:
            recipient, contact = self._nova_poshta_recipient(api, picking, phone)
            carrier = self
            if self.nova_poshta_service_type.endswith("Doors"):
                carrier = self.with_context(
                    nova_poshta_door_address=self._nova_poshta_door_address(api, picking, recipient))
            vals = carrier._prepare_nova_poshta_document_vals(picking, recipient, contact, phone, weight)
            vals["Ref"] = picking.nova_poshta_document_ref
            document = api.update_document(vals)
        except NovaPoshtaError as error:
            raise UserError(self._nova_poshta_error_message(error)) from None
        picking.write({"nova_poshta_cost": float(document.get("CostOnSite") or picking.nova_poshta_cost),
                       "nova_poshta_phone": phone})
        picking.message_post(body=self.env._(
            "Nova Poshta waybill %(number)s updated: branch %(branch)s, %(seats)s seats, %(weight)s kg, "
            "cash on delivery %(cod)s UAH.", number=picking.nova_poshta_number,
            branch=picking.nova_poshta_warehouse_id.display_name or "-", seats=vals["SeatsAmount"],
            weight=vals["Weight"], cod=picking.nova_poshta_cod_amount))
        return document

    def action_nova_poshta_import_waybills(self, days=3):
        """Import the waybills created by hand in the Nova Poshta cabinet, matched to open pickings.

        A document is matched by our reference in its client number (InfoRegClientBarcodes or the additional
        information: the transfer's or the order's name), else by the recipient's phone when exactly one open
        transfer of this carrier has that phone. Documents already known, or matching nothing, are left.
        """
        self.ensure_one()
        today = self.env["stock.picking"]._nova_poshta_shop_today()
        max_pages = int(self.env["ir.config_parameter"].sudo().get_param(
            "nova_poshta.document_list_max_pages", const.DOCUMENT_LIST_MAX_PAGES))
        api = self._nova_poshta_api()
        documents = []
        try:
            for page in range(1, max_pages + 1):
                data = api.list_documents((today - timedelta(days=days)).strftime("%d.%m.%Y"),
                                          today.strftime("%d.%m.%Y"), page)
                documents.extend(data)
                if len(data) < const.DOCUMENT_LIST_PAGE_SIZE:
                    break
        except NovaPoshtaError as error:
            raise UserError(self._nova_poshta_error_message(error)) from None
        Picking = self.env["stock.picking"]
        known = set(Picking.search([("nova_poshta_document_ref", "in", [d.get("Ref") for d in documents])])
                    .mapped("nova_poshta_document_ref"))
        candidates = Picking.search([
            ("carrier_id", "=", self.id), ("picking_type_code", "=", "outgoing"),
            ("state", "not in", ("draft", "cancel")), ("nova_poshta_document_ref", "=", False)])
        imported = Picking
        for document in documents:
            if document.get("Ref") in known:
                continue
            picking = self._nova_poshta_match_document(document, candidates - imported)
            if not picking:
                continue
            picking.write({
                "nova_poshta_document_ref": document["Ref"], "nova_poshta_number": document["IntDocNumber"],
                "carrier_tracking_ref": document["IntDocNumber"],
                "nova_poshta_cost": float(document.get("CostOnSite") or 0),
                "nova_poshta_phone": normalize_phone(document.get("RecipientsPhone")) or picking.nova_poshta_phone,
                "nova_poshta_waybill_date": fields.Datetime.now(), "nova_poshta_state": "created",
                "nova_poshta_status_code": "1", "nova_poshta_cod_manual": True,
                "nova_poshta_waybill_state": "done", "nova_poshta_waybill_error": False,
                "nova_poshta_waybill_next_try": False,
            })
            picking.message_post(body=self.env._("Nova Poshta waybill %(number)s imported from the cabinet.",
                                                 number=document["IntDocNumber"]))
            imported |= picking
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"type": "success", "title": self.env._("Nova Poshta"),
                           "message": self.env._("%(count)s waybills imported from the Nova Poshta cabinet.",
                                                 count=len(imported)),
                           "imported_ids": imported.ids}}

    def _nova_poshta_match_document(self, document, candidates):
        """The one open picking a cabinet document belongs to, or an empty recordset."""
        text = " ".join(str(document.get(key) or "") for key in (
            "InfoRegClientBarcodes", "AdditionalInformation", "Description"))
        tokens = set(re.split(r"[\s,;]+", text)) - {""}
        by_name = candidates.filtered(lambda p: p.name in tokens or (p.sale_id and p.sale_id.name in tokens))
        if len(by_name) == 1:
            return by_name
        phone = normalize_phone(document.get("RecipientsPhone"))
        if not phone or by_name:
            return candidates.browse()
        by_phone = candidates.filtered(
            lambda p: normalize_phone(p.partner_id.mobile or p.partner_id.phone) == phone)
        return by_phone if len(by_phone) == 1 else candidates.browse()

    # -- tracking link, cancel ----------------------------------------------------------
    def nova_poshta_get_tracking_link(self, picking):
        return f"{self._nova_poshta_endpoint('tracking')}{picking.carrier_tracking_ref or ''}"

    def nova_poshta_cancel_shipment(self, pickings):
        for picking in pickings.filtered("nova_poshta_document_ref"):
            try:
                self._nova_poshta_api().delete_document(picking.nova_poshta_document_ref)
            except NovaPoshtaError as error:
                raise UserError(self._nova_poshta_error_message(error)) from None
            picking.message_post(body=self.env._("Nova Poshta waybill %(number)s deleted.",
                                                 number=picking.nova_poshta_number))
            # deleting the waybill takes it out of its scan sheet too
            picking.write({
                "nova_poshta_document_ref": False, "nova_poshta_number": False, "nova_poshta_state": "deleted",
                "nova_poshta_client_ref": False, "carrier_tracking_ref": False, "nova_poshta_waybill_date": False,
                "nova_poshta_registry_number": False, "nova_poshta_scan_error": False,
                "nova_poshta_waybill_state": False, "nova_poshta_waybill_error": False,
                "nova_poshta_waybill_next_try": False,
            })
