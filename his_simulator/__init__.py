"""A simulator of the hospital HIS speaking the contract in
addons/crm_isc_sync/api/his_openapi.yaml, for development, demos and tests.

Run it with ``python -m his_simulator --help``.
"""

from his_simulator.server import SimServer, make_server
from his_simulator.store import Store, StoreError

__all__ = ["SimServer", "Store", "StoreError", "make_server"]
