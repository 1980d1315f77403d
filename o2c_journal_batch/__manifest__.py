# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "O2C Journal Batches",
    "summary": "Month-end journal batches from payroll, expense and billing systems: "
    "stored first, validated against a controller's rules, approved, posted",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/o2c-suite/o2c-odoo",
    "author": "O2C Integration Suite contributors",
    "maintainers": ["o2c-suite"],
    "license": "AGPL-3",
    "development_status": "Beta",
    "installable": True,
    "depends": ["o2c_integration", "account"],
    "external_dependencies": {"python": ["jsonschema", "openpyxl"]},
    "data": [
        "security/ir.model.access.csv",
        "security/o2c_journal_batch_security.xml",
        "data/ir_cron.xml",
        "views/o2c_journal_batch_views.xml",
        "views/o2c_journal_map_views.xml",
        "views/o2c_connection_views.xml",
        "wizards/o2c_journal_batch_upload_views.xml",
        "wizards/o2c_journal_batch_reject_views.xml",
        "views/o2c_journal_batch_menus.xml",
    ],
    "assets": {
        "web.assets_tests": ["o2c_journal_batch/static/tests/tours/*.js"],
    },
}
