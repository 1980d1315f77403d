from . import o2c_bank_statement_import_wizard
