from . import o2c_event_correction_wizard
