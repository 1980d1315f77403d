from . import o2c_journal_batch_upload
from . import o2c_journal_batch_reject
