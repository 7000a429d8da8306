# Shared helpers of the set-up, test and run scripts. Sourced, not executed.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
ODOO_CONF="${ODOO_CONF:-$ROOT/odoo.conf}"

# The database server: the environment wins over odoo.conf.
conf_value() {
    sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$ODOO_CONF" | tail -n 1
}
export PGHOST="${PGHOST:-$(conf_value db_host)}"
export PGPORT="${PGPORT:-$(conf_value db_port)}"
export PGUSER="${PGUSER:-$(conf_value db_user)}"
export PGPASSWORD="${PGPASSWORD:-$(conf_value db_password)}"

say() { printf '%s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# True when the Python running the scripts imports an Odoo of the 19.0 series.
odoo_importable() {
    "$PY" - <<'PYEOF' >/dev/null 2>&1
import odoo.release as r
raise SystemExit(0 if r.version_info[:2] == (19, 0) else 1)
PYEOF
}

# Exits with one line saying what is wrong (server down, role missing, wrong password) unless
# the project's role can log in.
require_postgresql() {
    local problem
    problem="$("$PY" "$ROOT/scripts/pgcheck.py" 2>&1)" || fail "$problem"
}

# Odoo's own odoo-bin beside the importable package, or nothing: its multi-process server runs
# its argv[0] again for the live-notification process, which "python -m odoo" cannot be.
odoo_bin() {
    "$PY" -c "import pathlib, odoo.release as r; p = pathlib.Path(r.__file__).resolve().parents[1] / 'odoo-bin'; print(p if p.is_file() else '')" 2>/dev/null
}

# Odoo's command line with this project's addons and connection settings.
odoo_cmd() {
    local bin
    bin="$(odoo_bin)"
    if [ -n "$bin" ]; then set -- "$bin" "$@"; else set -- -m odoo "$@"; fi
    "$PY" "$@" -c "$ODOO_CONF" --addons-path="$ROOT/addons" \
        --data-dir="$ROOT/.odoo-data" --db_host="$PGHOST" --db_port="$PGPORT" \
        --db_user="$PGUSER" --db_password="$PGPASSWORD"
}
