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
    say "system packages: installing ${missing[*]} (log: var/setup-apt.log)"
    mkdir -p "$ROOT/var"
    { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
        > "$ROOT/var/setup-apt.log" 2>&1 \
        || fail "could not install ${missing[*]} (needs root or sudo; see var/setup-apt.log):" \
            "install them by hand, then run 'make setup' again"
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
        fail "could not install rtlcss, which Odoo needs to mirror Hebrew pages:" \
            "run 'npm install -g rtlcss' (needs root or sudo), then 'make setup' again"
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
# The server and role of odoo.conf (or PGHOST/PGPORT/PGUSER/PGPASSWORD). A local server is
# started, or created on PGPORT when this machine has none there, and the role is created.
# A server elsewhere is only checked: its administrator creates the role.
pg_problem() { "$PY" "$ROOT/scripts/pgcheck.py" 2>&1; }

is_local_server() {
    case "$PGHOST" in ""|localhost|127.0.0.1|::1|/*) return 0 ;; *) return 1 ;; esac
}

# psql as the postgres superuser over the local socket of the cluster on $PGPORT. The PG* login
# that lib.sh exports is the role being created, so it must not leak into this connection.
pg_super() {
    as_root runuser -u postgres -- env -u PGHOST -u PGHOSTADDR -u PGUSER -u PGPASSWORD \
        -u PGDATABASE -u PGSERVICE psql -X -q -tA -v ON_ERROR_STOP=1 -p "$PGPORT" -d postgres "$@"
}

# "version name status" of the Debian cluster listening on $PGPORT, if any.
cluster_on_port() {
    pg_lsclusters -h 2>/dev/null | awk -v port="$PGPORT" '$3 == port { print $1, $2, $4; exit }'
}

start_local_cluster() {
    if ! command -v pg_lsclusters >/dev/null 2>&1; then
        fail "no PostgreSQL server at $PGHOST:$PGPORT and no Debian cluster tools" \
            "(postgresql-common) to start one: start a server on port $PGPORT, or set PGHOST/PGPORT"
    fi
    local version name status
    read -r version name status < <(cluster_on_port) || true
    if [ -z "${version:-}" ]; then
        version="$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)"
        [ -n "$version" ] || fail "PostgreSQL's server is not installed: run 'make setup' as root"
        name=main
        if [ -d "/etc/postgresql/$version/main" ]; then name="clinic$PGPORT"; fi
        say "postgresql: creating cluster $version/$name on port $PGPORT"
        as_root pg_createcluster "$version" "$name" --port "$PGPORT" >/dev/null \
            || fail "could not create a PostgreSQL cluster on port $PGPORT (need root or sudo)"
        status=down
    fi
    if [ "$status" != online ]; then
        say "postgresql: starting cluster $version/$name on port $PGPORT"
        as_root pg_ctlcluster "$version" "$name" start \
            || fail "could not start PostgreSQL cluster $version/$name" \
                "(see /var/log/postgresql/postgresql-$version-$name.log)"
    fi
}

ensure_role() {
    local found
    found="$(pg_super -v role="$PGUSER" <<<"SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = :'role';")" \
        || fail "could not connect as the postgres superuser to the cluster on port $PGPORT" \
            "to create the role $PGUSER (need root or sudo)"
    case "$found" in
        t) ;;
        f)  say "postgresql: letting role $PGUSER create databases"
            pg_super -v role="$PGUSER" <<<'ALTER ROLE :"role" CREATEDB;' ;;
        *)  say "postgresql: creating role $PGUSER"
            pg_super -v role="$PGUSER" -v pw="$PGPASSWORD" \
                <<<'CREATE ROLE :"role" LOGIN CREATEDB PASSWORD :'"'pw'"';' ;;
    esac
}

setup_postgresql() {
    local problem
    if ! problem="$(pg_problem)"; then
        is_local_server || fail "$problem"
        start_local_cluster
        ensure_role
        # The role exists now: a refusal can only be the password.
        pg_problem >/dev/null || fail "PostgreSQL at $PGHOST:$PGPORT refused the password of" \
            "role '$PGUSER': put the role's password in odoo.conf (db_password) or PGPASSWORD," \
            "or set it as a superuser: ALTER ROLE \"$PGUSER\" PASSWORD '...'"
    fi
    say "postgresql: role $PGUSER can log in at $PGHOST:$PGPORT and create databases"
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(packages python odoo postgresql)
for step in "${steps[@]}"; do
    case "$step" in
        packages) install_system_packages; install_rtlcss ;;
        python) say "python: installing requirements.txt"; pip_install -r requirements.txt ;;
        odoo) install_odoo ;;
        postgresql) setup_postgresql ;;
        *) fail "unknown set-up step '$step' (packages, python, odoo, postgresql)" ;;
    esac
done
say "setup: done"
