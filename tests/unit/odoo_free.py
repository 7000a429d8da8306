"""The client portal's Odoo-free modules (``const`` and ``services``), imported without Odoo.

The addon's directory is registered as the package ``clinic_portal_addon`` without running its
``__init__`` (which imports the models, and so Odoo): ``services`` then import ``const`` and
each other by their relative names, as they do in Odoo.
"""

import importlib
import importlib.util
import sys
from pathlib import Path

ADDON = Path(__file__).resolve().parents[2] / "addons" / "clinic_portal"
PACKAGE = "clinic_portal_addon"


def clinic_portal(name):
    """The module ``name`` of the addon (``"const"``, ``"services.slots"`` ...)."""
    if PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            PACKAGE, ADDON / "__init__.py", submodule_search_locations=[str(ADDON)])
        sys.modules[PACKAGE] = importlib.util.module_from_spec(spec)
    return importlib.import_module(f"{PACKAGE}.{name}")
