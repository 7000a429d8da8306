#!/usr/bin/env bash
# make run: the HIS simulator and Odoo on http://localhost:8069 with the three addons, demo data
# (a Vietnamese hospital and an Israeli clinic) and English, Vietnamese and Hebrew. Stops both
# with Ctrl-C.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# payment_demo: Odoo's Demo payment provider, so that the demo's prepaid consultation can be
# paid (with test card data, nothing real); the addons do not depend on it.
MODULES=crm_isc_sync,clinic_pricelist_portal,clinic_portal,payment_demo
DB="${ODOO_DB:-$(conf_value db_name)}"
HTTP_PORT="$(conf_value http_port)"
HIS_PORT="${HIS_PORT:-8899}"
HIS_KEY="${HIS_KEY:-demo-his-key}"

odoo_importable || { echo "Odoo 19 is not installed: run 'make setup' first (see README)." >&2; exit 1; }
require_postgresql

his_up() {
    "$PY" -c "import sys, urllib.request as u; r = u.Request('http://127.0.0.1:$HIS_PORT/api/v1/health', headers={'X-Api-Key': '$HIS_KEY'}); u.urlopen(r, timeout=2)" 2>/dev/null
}
if his_up; then
    say "HIS simulator: already running on http://127.0.0.1:$HIS_PORT"
else
    mkdir -p var
    "$PY" -m his_simulator --host 127.0.0.1 --port "$HIS_PORT" --api-key "$HIS_KEY" \
        --patients 1000 --quiet > var/his-simulator.log 2>&1 &
    HIS_PID=$!
    trap 'kill "$HIS_PID" 2>/dev/null || true' EXIT
    for _ in $(seq 50); do his_up && break; sleep 0.2; done
    his_up || { echo "The HIS simulator did not start (see var/his-simulator.log)." >&2; exit 1; }
    say "HIS simulator: started on http://127.0.0.1:$HIS_PORT"
fi

installed="$(psql -d "$DB" -tAc "SELECT count(*) FROM ir_module_module WHERE state = 'installed' AND name IN ('crm_isc_sync', 'clinic_pricelist_portal', 'clinic_portal', 'payment_demo')" 2>/dev/null || echo 0)"
if [ "$installed" != 4 ]; then
    say "Odoo: installing the addons and the Demo payment provider in database $DB, with demo data, Vietnamese and Hebrew (a few minutes)"
    odoo_cmd -d "$DB" -i "$MODULES" --with-demo --load-language=en_US,vi_VN,he_IL \
        --stop-after-init --no-http --log-level=warn
else
    say "Odoo: updating the addons in database $DB"
    odoo_cmd -d "$DB" -u "$MODULES" --stop-after-init --no-http --log-level=warn
fi

cat <<MSG

  Odoo is starting on http://localhost:$HTTP_PORT  (database $DB)
  Logins (the password is the login):
    admin         administrator of every company (Settings, HIS connection, sync log)
  Bệnh viện Đa khoa Hòa Bình, the Vietnamese hospital (₫, its HIS: the simulator below):
    lan.nguyen    front desk, in Vietnamese (Contacts, booking orders, Isc account sync)
  Our Clinic, the Israeli clinic in Tel Aviv (accounts in ₪, open Sunday to Thursday):
    rina.shalom   front desk and clinic administrator, in Hebrew (Clinic app)
    maya.cohen    physiotherapist whose calendar patients book (Calendar)
    noa.mizrahi   patient, in Hebrew (website: /my)
  HIS simulator: http://127.0.0.1:$HIS_PORT/api/v1  (API key $HIS_KEY)
  Payments: the Demo provider (test mode) pays the prepaid "Initial consultation";
           type any card number, choose the outcome. Nothing is charged.
  Stop with Ctrl-C.

MSG
odoo_cmd -d "$DB" --db-filter="^$DB\$"
