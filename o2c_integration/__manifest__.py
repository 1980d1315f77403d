# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "O2C Integration Backbone",
    "summary": "Connections, signed webhooks, event log, exception queue and audit "
    "log for Order-to-Cash integrations",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/o2c-suite/o2c-odoo",
    "author": "O2C Integration Suite contributors",
    "maintainers": ["o2c-suite"],
    "license": "AGPL-3",
    "development_status": "Beta",
    "application": True,
    "installable": True,
    "depends": ["mail", "account", "sale", "queue_job"],
    "external_dependencies": {"python": ["cryptography", "requests", "jsonschema"]},
    "data": [
        "security/o2c_security.xml",
        "security/ir.model.access.csv",
        "data/o2c_data.xml",
        "data/ir_cron.xml",
        "views/o2c_connection_views.xml",
        "views/o2c_event_views.xml",
        "views/o2c_exception_views.xml",
        "views/o2c_audit_log_views.xml",
        "data/o2c_order_data.xml",
        "views/o2c_order_views.xml",
        "views/o2c_menus.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": ["demo/o2c_order_demo.xml"],
    "assets": {
        "web.assets_tests": ["o2c_integration/static/tests/tours/*.js"],
    },
}
