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
    "external_dependencies": {"python": ["rapidfuzz", "dateutil", "openpyxl"]},
    "data": [],
    "demo": [],
}
