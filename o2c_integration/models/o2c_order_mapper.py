# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What an order names (SKU, tax and payment-terms codes, currency, customer) in Odoo.

Every problem of a document is collected and raised at once as
:class:`O2cMappingError` (category "mapping", with the paths concerned), so that the
integrator fixes the catalogue or the mapping tables in one go; the event is retried
afterwards. Nothing is created before the whole order maps (the customer comes last).

Customers (commercial partners) are matched by binding, then VAT, then e-mail, else
created; a bound customer is updated from later orders, a matched one only gets its
empty fields filled (someone else's master data is not overwritten).
"""

from decimal import Decimal

from odoo import Command, models

from ..lib.exceptions import ValidationError

PARTNER_MODEL = "res.partner"
ADDRESS_FIELDS = ("street", "street2", "city", "zip")


class O2cMappingError(ValidationError):
    """Part of the order has no counterpart in Odoo (SKU, tax code, currency...)."""

    o2c_category = "mapping"


def _value(field_value):
    """A record's field value comparable with a vals dict value (ids for relations)."""
    return field_value.id if isinstance(field_value, models.BaseModel) else field_value


def _decimals(value):
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class O2cOrderMapper(models.AbstractModel):
    _name = "o2c.order.mapper"
    _description = "O2C Order Mapping"

    def _o2c_mapping_error(self, problems, order, currency=None):
        total = sum(
            (
                line.quantity * line.unit_price * (100 - line.discount) / 100
                for line in order.lines
            ),
            Decimal(0),
        )
        if order.shipping:
            total += order.shipping.amount
        exc = O2cMappingError("", problems)
        exc.o2c_amount = total
        exc.o2c_currency = currency
        raise exc

    def _o2c_map_currency(self, order):
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", order.currency)], limit=1)
        )
        if not currency.active:
            self._o2c_mapping_error(
                [("currency", f"currency {order.currency} is not active in Odoo")],
                order,
            )
        return currency

    def _o2c_map_pricelist(self, conn, currency):
        Pricelist = self.env["product.pricelist"]
        if conn.order_pricelist_id.currency_id == currency:
            return conn.order_pricelist_id
        pricelist = Pricelist.search(
            [
                ("currency_id", "=", currency.id),
                ("company_id", "in", [conn.company_id.id, False]),
            ],
            limit=1,
        )
        if pricelist or currency == conn.company_id.currency_id:
            return pricelist
        reason = (
            f"no pricelist in {currency.name}: create one (Sales > Products > "
            "Pricelists) so that orders can be kept in this currency"
        )
        raise O2cMappingError("", [("currency", reason)])

    def _o2c_map_payment_term(self, conn, order):
        if not order.payment_terms:
            return None
        mapping = self.env["o2c.payment.term.mapping"].search(
            [("connection_id", "=", conn.id), ("code", "=", order.payment_terms)],
            limit=1,
        )
        if not mapping:
            reason = (
                f"unknown payment terms code {order.payment_terms} "
                f"(add it to the payment terms mapping of {conn.name})"
            )
            self._o2c_mapping_error([("payment_terms", reason)], order)
        return mapping.payment_term_id

    def _o2c_map_fiscal_position(self, conn, delivery):
        country = delivery.country_id
        if not country or not conn.fiscal_position_mapping_ids:
            return None
        mapping = conn.fiscal_position_mapping_ids.filtered(
            lambda m: m.country_id == country
        )[:1]
        return mapping.fiscal_position_id or None

    def _o2c_prepare_lines(self, conn, order, currency):
        """``Command.create`` list of the order lines; every mapping problem at once."""
        products = self._o2c_map_products(conn, order)
        taxes = self._o2c_map_taxes(conn, order)
        precision = self.env["decimal.precision"]
        digits = {
            "unit_price": ("Product Price", precision.precision_get("Product Price")),
            "quantity": ("Product Unit", precision.precision_get("Product Unit")),
        }
        problems, commands = [], []

        def line_vals(path, product, quantity, price, description, codes):
            problems.extend(
                (
                    f"{path}.taxes",
                    f"unknown tax code {code} (tax mapping of {conn.name})",
                )
                for code in codes
                if code not in taxes
            )
            vals = {
                "sequence": 10 + len(commands),
                "product_id": product.id if product else False,
                "product_uom_qty": float(quantity),
                "price_unit": float(price),
            }
            if description:
                vals["name"] = description
            if codes:
                ids = [taxes[code].id for code in codes if code in taxes]
                vals["tax_ids"] = [Command.set(ids)]
            return vals

        for index, line in enumerate(order.lines):
            path = f"lines[{index}]"
            product = products.get(line.sku)
            if not product:
                reason = (
                    f"unknown SKU {line.sku}: no product with this internal reference"
                )
                problems.append((f"{path}.sku", reason))
            # Odoo stores prices and quantities rounded to these precisions: more
            # decimals would silently change the amounts the source computed.
            for name, (label, places) in digits.items():
                value = getattr(line, name)
                if _decimals(value) > places:
                    reason = (
                        f"{value} has more decimals than Odoo's '{label}' ({places})"
                    )
                    problems.append((f"{path}.{name}", reason))
            vals = line_vals(
                path,
                product,
                line.quantity,
                line.unit_price,
                line.description,
                line.taxes,
            )
            vals["discount"] = float(line.discount)
            commands.append(Command.create(vals))
        shipping = order.shipping
        if shipping:
            if shipping.sku:
                product = products.get(shipping.sku)
                reason = f"unknown SKU {shipping.sku}"
            else:
                product = conn.order_shipping_product_id
                reason = f"no shipping SKU and no shipping product on {conn.name}"
            if not product:
                problems.append(("shipping.sku", reason))
            commands.append(
                Command.create(
                    line_vals(
                        "shipping",
                        product,
                        1,
                        shipping.amount,
                        shipping.description,
                        shipping.taxes,
                    )
                )
            )
        if problems:
            self._o2c_mapping_error(problems, order, currency)
        return commands

    def _o2c_map_products(self, conn, order):
        """``{sku: product.product}`` by internal reference (the oldest one wins)."""
        skus = {line.sku for line in order.lines}
        if order.shipping and order.shipping.sku:
            skus.add(order.shipping.sku)
        products = {}
        for product in self.env["product.product"].search(
            [
                ("default_code", "in", list(skus)),
                ("company_id", "in", [conn.company_id.id, False]),
            ],
            order="id",
        ):
            products.setdefault(product.default_code, product)
        return products

    def _o2c_map_taxes(self, conn, order):
        """``{tax code: account.tax}`` from the connection's tax mapping."""
        codes = {code for line in order.lines for code in line.taxes}
        if order.shipping:
            codes.update(order.shipping.taxes)
        mappings = self.env["o2c.tax.mapping"].search(
            [("connection_id", "=", conn.id), ("code", "in", list(codes))]
        )
        return {m.code: m.tax_id for m in mappings}

    # --- CUSTOMERS

    def _o2c_partner_vals(self, customer, address):
        vals = {
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
            "vat": customer.vat,
            "is_company": customer.is_company,
        }
        vals.update(self._o2c_address_vals(address))
        return {key: value for key, value in vals.items() if value not in (None, "")}

    def _o2c_address_vals(self, address):
        if not address:
            return {}
        vals = {name: getattr(address, name) for name in ADDRESS_FIELDS}
        if address.country_code:
            country = self.env["res.country"].search(
                [("code", "=", address.country_code)], limit=1
            )
            vals["country_id"] = country.id or None
            if country and address.state_code:
                state = self.env["res.country.state"].search(
                    [
                        ("country_id", "=", country.id),
                        ("code", "=", address.state_code),
                    ],
                    limit=1,
                )
                vals["state_id"] = state.id or None
        return {key: value for key, value in vals.items() if value is not None}

    def _o2c_match_partner(self, customer, company):
        Partner = self.env[PARTNER_MODEL].with_context(active_test=False)
        base = [("parent_id", "=", False), ("company_id", "in", [company.id, False])]
        if customer.vat:
            compact = customer.vat.replace(" ", "").upper()
            partner = Partner.search(
                base + [("vat", "in", [customer.vat, compact])],
                limit=1,
                order="active desc, id",
            )
            if partner:
                return partner
        if customer.email:
            return Partner.search(
                base + [("email", "=ilike", customer.email)],
                limit=1,
                order="active desc, id",
            )
        return Partner

    def _o2c_map_partner(self, conn, customer):
        """Return ``(customer, delivery address)``, creating or updating them."""
        Binding = self.env["o2c.binding"]
        binding, created = Binding._o2c_claim(conn, PARTNER_MODEL, customer.external_id)
        partner = self.env[PARTNER_MODEL] if created else binding._get_record()
        vals = self._o2c_partner_vals(customer, customer.billing_address)
        if partner:
            # bound: the source owns this customer, later orders update it
            if partner.vat and "vat" in vals:
                vals.pop("vat")  # a VAT number is corrected in Odoo, not overwritten
            changed = {k: v for k, v in vals.items() if _value(partner[k]) != v}
            if changed:
                partner.write(changed)
        else:
            partner = self._o2c_match_partner(customer, conn.company_id)
            if partner:
                # someone else's record: fill the gaps only
                partner.write({k: v for k, v in vals.items() if not partner[k]})
            else:
                partner = self.env[PARTNER_MODEL].create(
                    dict(vals, customer_rank=1, company_id=False)
                )
            binding._o2c_bind(partner)
        delivery = self._o2c_delivery_address(partner, customer)
        return partner, delivery

    def _o2c_delivery_address(self, partner, customer):
        ship = customer.shipping_address
        if not ship or ship == customer.billing_address:
            return partner
        vals = self._o2c_address_vals(ship)
        domain = [("parent_id", "=", partner.id), ("type", "=", "delivery")]
        domain += [
            (key, "=", vals.get(key) or False)
            for key in ("street", "zip", "city", "country_id")
        ]
        delivery = self.env[PARTNER_MODEL].search(domain, limit=1)
        return delivery or self.env[PARTNER_MODEL].create(
            dict(vals, parent_id=partner.id, type="delivery", name=customer.name)
        )
