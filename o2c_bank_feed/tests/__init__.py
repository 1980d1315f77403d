from . import test_import
from . import test_reconcile
from . import test_bank_api
from . import test_concurrency
from . import test_bulk_writer
from . import test_reconcile_bulk
from . import test_screens_bank
from . import test_csv_mapping_wizard
