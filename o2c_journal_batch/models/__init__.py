from . import o2c_journal_code_map
from . import o2c_journal_account_rule
from . import o2c_connection
from . import o2c_journal_batch_line
from . import o2c_journal_batch
from . import o2c_event
