"""Fixtures of the unit tier: the HIS client and a live HIS simulator, no Odoo.

The client is loaded from its file as the top-level module ``his_client``: importing it
through the addon package would import Odoo.
"""

import importlib.util
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT_FILE = ROOT / "addons" / "crm_isc_sync" / "services" / "his_client.py"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _load_his_client():
    if "his_client" in sys.modules:
        return sys.modules["his_client"]
    spec = importlib.util.spec_from_file_location("his_client", CLIENT_FILE)
    module = importlib.util.module_from_spec(spec)
    # Registered before running it: dataclasses look their module up in sys.modules.
    sys.modules["his_client"] = module
    spec.loader.exec_module(module)
    return module


_load_his_client()

API_KEY = "test-his-key"
PATIENTS = 200  # with the default ratio 0.9: BN000001..BN000180 have an account
ANCHOR = datetime(2025, 1, 31, 12, 0, 0)  # naive UTC; seeded updates lie in the 30 days before


class HisServer(NamedTuple):
    base_url: str
    store: object  # his_simulator.store.Store
    server: object  # his_simulator.server.SimServer
    api_key: str
    anchor: datetime
    patients: int


@pytest.fixture
def his_server():
    # Imported here: the module-level code above puts the repository root on sys.path.
    from his_simulator.server import make_server
    from his_simulator.store import Store

    store = Store(patients=PATIENTS, seed=1, accounts_ratio=0.9,
                  anchor=ANCHOR.replace(tzinfo=UTC))
    server = make_server("127.0.0.1", 0, store, API_KEY)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield HisServer(server.base_url, store, server, API_KEY, ANCHOR, PATIENTS)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
