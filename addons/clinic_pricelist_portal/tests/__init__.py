from . import test_portal_offer_policy
from . import test_service_flags
from . import test_portal_offer
