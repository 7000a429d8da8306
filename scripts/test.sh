#!/usr/bin/env bash
# make test: the static, unit and Odoo tiers (tests/tiers.py); the last line is the total.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
exec "$PY" tests/tiers.py "$@"
