# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "O2C Payment Gateways",
    "summary": "Stripe and Adyen events to payments, refunds, disputes and payouts",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/o2c-suite/o2c-odoo",
    "author": "O2C Integration Suite contributors",
    "maintainers": ["o2c-suite"],
    "license": "AGPL-3",
    "development_status": "Alpha",
    "installable": True,
    "depends": ["o2c_integration"],
    "data": [
        "security/ir.model.access.csv",
        "security/o2c_payment_gateway_security.xml",
        "views/o2c_connection_views.xml",
        "views/o2c_gateway_transaction_views.xml",
        "views/o2c_gateway_settlement_views.xml",
        "views/o2c_gateway_dispute_views.xml",
        "wizards/adyen_report_import_views.xml",
        "views/o2c_payment_gateway_menus.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": [],
}
