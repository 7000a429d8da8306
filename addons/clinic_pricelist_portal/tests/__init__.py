from . import test_service_flags
