# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "O2C Bank Feed",
    "summary": "Bank statements from files and bank APIs, reconciled by rules",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/o2c-suite/o2c-odoo",
    "author": "O2C Integration Suite contributors",
    "maintainers": ["o2c-suite"],
    "license": "AGPL-3",
    "development_status": "Alpha",
    "installable": True,
    "depends": ["o2c_integration"],
    "external_dependencies": {
        "python": ["rapidfuzz", "python-dateutil", "openpyxl", "python-stdnum"]
    },
    "data": [
        "security/o2c_bank_feed_security.xml",
        "security/ir.model.access.csv",
        "data/queue_job_data.xml",
        "data/o2c_reconcile_rule_data.xml",
        "data/ir_cron.xml",
        "views/o2c_reconcile_rule_views.xml",
        "views/o2c_bank_name_mapping_views.xml",
        "views/o2c_bank_statement_import_views.xml",
        "views/account_bank_statement_line_views.xml",
        "views/account_bank_statement_views.xml",
        "views/account_journal_views.xml",
        "views/o2c_connection_views.xml",
        "views/o2c_exception_views.xml",
        "wizard/o2c_bank_statement_import_wizard_views.xml",
        "wizard/o2c_manual_reconcile_wizard_views.xml",
        "wizard/o2c_exception_bulk_wizard_views.xml",
        "views/o2c_manual_reconcile_views.xml",
        "views/o2c_bank_feed_menus.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": [],
    "assets": {
        "web.assets_tests": ["o2c_bank_feed/static/tests/tours/**/*"],
    },
}
