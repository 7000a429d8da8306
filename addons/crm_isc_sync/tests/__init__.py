from . import test_booking_order
from . import test_sync_contact
from . import test_sync_range
from . import test_sync_daily
from . import test_security
from . import test_settings
from . import test_tours
