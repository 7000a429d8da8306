from . import res_company
from . import res_config_settings
from . import res_partner
from . import isc_booking_order
from . import isc_sync_run
