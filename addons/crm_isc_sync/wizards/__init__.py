from . import isc_sync_range_wizard
