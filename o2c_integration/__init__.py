from . import controllers
from . import models
from . import wizards

from .lib import log_masking

# mask secrets in every log line of the integration and of the HTTP stack
log_masking.install()
