"""A simulator of EasyCard, the Israeli card terminal, speaking the API its public documents
describe (the EasycardNG/API repository), for development, demos and tests.

One stdlib HTTP server plays EasyCard's identity server, Transactions API, Metadata API and
hosted checkout, with the simulator's own test cards (cards.py), fault switches (faults.py)
and webhook modes (webhooks.py). Run it with ``python -m easycard_simulator --help``.
"""

from easycard_simulator.server import SimServer, make_server
from easycard_simulator.store import Store

__all__ = ["SimServer", "Store", "make_server"]
