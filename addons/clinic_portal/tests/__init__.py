from . import test_settings_defaults
from . import test_settings_validation
from . import test_staff
from . import test_partner
from . import test_access
from . import test_demo
from . import test_settings_tour
