from . import o2c_bank_statement_import_wizard
from . import o2c_manual_reconcile_wizard
from . import o2c_manual_reconcile_item
from . import o2c_exception_bulk_wizard
from . import o2c_bank_csv_mapping_wizard
