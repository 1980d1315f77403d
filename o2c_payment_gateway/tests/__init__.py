from . import test_webhook_http
from . import test_payment_flow
from . import test_dispute
from . import test_settlement
from . import test_webhook_depth_http
from . import test_connection_access
