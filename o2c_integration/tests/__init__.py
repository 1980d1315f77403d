from . import test_event
from . import test_webhook
