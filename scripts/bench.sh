#!/usr/bin/env bash
# Runs one benchmark script of tests/bench against a database of its own.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
odoo_importable || { echo "Odoo 19 is not installed: run 'make setup' first (see README)." >&2; exit 1; }
require_postgresql
"$PY" tests/tiers.py --write-conf
exec "$PY" "$@"
