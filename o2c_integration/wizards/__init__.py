from . import o2c_event_correction_wizard
from . import o2c_event_ignore_wizard
