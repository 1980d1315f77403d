from . import o2c_connection
from . import o2c_gateway_transaction
from . import o2c_gateway_settlement
from . import o2c_gateway_dispute
from . import o2c_gateway_processor
from . import o2c_event
from . import res_config_settings
