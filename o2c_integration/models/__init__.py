from . import o2c_secret_mixin
from . import o2c_audit_log
from . import o2c_connection
from . import o2c_event
from . import o2c_exception
