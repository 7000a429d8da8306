from . import test_easycard_checkout
from . import test_easycard_cards
from . import test_easycard_faults
from . import test_easycard_webhooks
from . import test_easycard_fuzz
