"""Every Odoo test module of the addons runs: each ``tests/test_*.py`` is imported by its
package, or Odoo never loads it and its tests silently never run."""

import re
from pathlib import Path

ADDONS = Path(__file__).resolve().parents[2] / "addons"


def unimported_test_modules():
    missing = []
    for package in sorted(ADDONS.glob("*/tests/__init__.py")):
        imported = set(re.findall(r"^from \. import (\w+)", package.read_text(), re.M))
        for module in sorted(package.parent.glob("test_*.py")):
            if module.stem not in imported:
                missing.append(f"{package.parent.parent.name}/tests/{module.name}")
    return missing


def test_every_test_module_is_imported_by_its_package():
    assert unimported_test_modules() == []
