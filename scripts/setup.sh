#!/usr/bin/env bash
# make setup: installs, idempotently, what a new Debian 12 machine lacks to run and test the
# addons. Safe to run again: each step checks first and does nothing when already done.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ODOO_BRANCH=19.0
ODOO_GIT_URL="${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}"
ODOO_CLONE_DIR="${ODOO_CLONE_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/odoo-$ODOO_BRANCH}"
# Odoo's pinned requirements include old sdists whose build imports pkg_resources.
PIP_CONSTRAINTS="$ROOT/config/pip-build-constraints.txt"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else return 1
    fi
}

# --- 1. System packages -------------------------------------------------------------------
SYSTEM_PACKAGES=(
    postgresql postgresql-client                     # database server
    libpq-dev libldap2-dev libsasl2-dev               # headers Odoo's requirements build against
    libxml2-dev libxslt1-dev libjpeg-dev zlib1g-dev libffi-dev libssl-dev
    build-essential git
    chromium                                          # headless browser for the tours
    fonts-noto-core fonts-dejavu-core                 # Hebrew and Vietnamese glyphs in screenshots
)
install_system_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        warn "not a Debian system: install the equivalent of: ${SYSTEM_PACKAGES[*]}"
        return 0
    fi
    local missing=()
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "system packages: all present"
        return 0
    fi
    say "system packages: installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" \
        || warn "could not install ${missing[*]} (need root or sudo); install them by hand"
}

# Odoo turns its CSS right-to-left for Hebrew with rtlcss, an npm package.
install_rtlcss() {
    if command -v rtlcss >/dev/null 2>&1; then
        say "rtlcss: present"
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm || true
    fi
    if command -v npm >/dev/null 2>&1 && as_root npm install -g --silent rtlcss; then
        say "rtlcss: installed"
    else
        warn "could not install rtlcss (npm install -g rtlcss): Hebrew pages will not be mirrored"
    fi
}

pip_install() {
    PIP_CONSTRAINT="$PIP_CONSTRAINTS" "$PY" -m pip install -q --disable-pip-version-check \
        --root-user-action=ignore "$@"
}

# --- 2. Odoo 19 ---------------------------------------------------------------------------
is_odoo19_tree() {
    [ -f "$1/odoo/release.py" ] && [ -f "$1/requirements.txt" ] \
        && grep -q "^version_info = (19, 0," "$1/odoo/release.py"
}

install_odoo_tree() {
    local src
    src="$(cd "$1" && pwd)"
    say "odoo: installing the requirements of $src"
    pip_install -r "$src/requirements.txt"
    # A path file keeps the tree where it is: odoo and its addons import from it directly.
    local site
    site="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    printf '%s\n' "$src" > "$site/odoo-19-src.pth"
    odoo_importable || { warn "odoo from $src is still not importable"; return 1; }
    say "odoo: 19.0 from $src is importable"
}

install_odoo() {
    if odoo_importable; then
        say "odoo: 19.0 already importable by $PY (from $("$PY" -c 'import os, odoo.release as r; print(os.path.dirname(os.path.dirname(r.__file__)))'))"
        return 0
    fi
    if [ -n "${ODOO_SRC:-}" ]; then
        if ! is_odoo19_tree "$ODOO_SRC"; then
            echo "ERROR: ODOO_SRC=$ODOO_SRC is not an Odoo 19.0 source tree" \
                "(expected odoo/release.py of 19.0 and requirements.txt there)." >&2
            exit 1
        fi
        install_odoo_tree "$ODOO_SRC"
        return
    fi
    if is_odoo19_tree "$ODOO_CLONE_DIR" \
        || timeout 900 git clone -q --depth 1 --branch "$ODOO_BRANCH" "$ODOO_GIT_URL" \
            "$ODOO_CLONE_DIR" 2>/dev/null; then
        install_odoo_tree "$ODOO_CLONE_DIR" && return 0
    fi
    rm -rf "${ODOO_CLONE_DIR:?}.partial" 2>/dev/null || true
    cat >&2 <<MSG
WARNING: Odoo 19 is not installed and could not be fetched from $ODOO_GIT_URL.
WARNING: To install it, either put an Odoo 19.0 source tree on this machine and run
WARNING:     ODOO_SRC=/path/to/odoo-19.0 make setup
WARNING: or make 'import odoo' (19.0) work for $PY, then run 'make setup' again.
WARNING: Until then the Odoo test tier is skipped; the static and unit tiers still run.
MSG
}

# --- 3. PostgreSQL ------------------------------------------------------------------------
start_postgresql() {
    if pg_ready; then
        say "postgresql: reachable at $PGHOST:$PGPORT as $PGUSER"
        return 0
    fi
    case "$PGHOST" in
        localhost|127.0.0.1|::1|"") ;;
        *) warn "postgresql at $PGHOST:$PGPORT is not reachable; check odoo.conf or PGHOST"; return 0 ;;
    esac
    if command -v pg_lsclusters >/dev/null 2>&1; then
        local version cluster
        read -r version cluster _ < <(pg_lsclusters -h | head -n 1) || true
        if [ -z "${version:-}" ]; then
            version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
            cluster=main
            as_root pg_createcluster "$version" "$cluster" >/dev/null
        fi
        as_root pg_ctlcluster "$version" "$cluster" start 2>/dev/null || true
    fi
    # The role Odoo connects with (name and password from odoo.conf or the environment).
    local exists
    exists="$(as_root runuser -u postgres -- psql -tAc \
        "SELECT 1 FROM pg_roles WHERE rolname = '$PGUSER'" 2>/dev/null || true)"
    if [ "$exists" != 1 ]; then
        as_root runuser -u postgres -- psql -qc \
            "CREATE ROLE \"$PGUSER\" LOGIN CREATEDB PASSWORD '$PGPASSWORD'" \
            || warn "could not create the PostgreSQL role $PGUSER"
    fi
    if pg_ready; then
        say "postgresql: running, role $PGUSER ready"
    else
        warn "postgresql is not reachable at $PGHOST:$PGPORT as $PGUSER; the Odoo tier will fail"
    fi
}

install_system_packages
install_rtlcss
say "python: installing requirements.txt"
pip_install -r requirements.txt
install_odoo
start_postgresql
say "setup: done"
