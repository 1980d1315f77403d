from . import test_event
