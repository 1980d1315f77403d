from . import o2c_bank_statement_import_wizard
from . import o2c_bank_csv_mapping_wizard
