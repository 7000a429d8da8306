#!/usr/bin/env bash
# make run: the HIS and EasyCard simulators and Odoo on http://localhost:8069 with our addons,
# demo data (a Vietnamese hospital and an Israeli clinic that takes cards through EasyCard) and
# English, Vietnamese and Hebrew. Stops all three with Ctrl-C.
# Odoo runs as it is deployed: its multi-process server, ODOO_WORKERS HTTP workers (2) and a
# cron worker, behind a small front proxy that joins its pages and its live notifications
# under one address (nginx does this in production, see README). ODOO_WORKERS=0: the threaded
# server of development, alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# payment_easycard: the Israeli clinic's card terminal, here its simulator (nothing real is
# charged). payment_demo: Odoo's Demo payment provider, kept for Odoo's own tests; the addons do
# not depend on it.
MODULES=crm_isc_sync,clinic_pricelist_portal,clinic_portal,payment_easycard,payment_demo
DB="${ODOO_DB:-$(conf_value db_name)}"
HTTP_PORT="$(conf_value http_port)"
WORKERS="${ODOO_WORKERS:-2}"
HIS_PORT="${HIS_PORT:-8899}"
HIS_KEY="${HIS_KEY:-demo-his-key}"
EASYCARD_PORT="${EASYCARD_PORT:-8898}"
EASYCARD_TERMINAL=6f1ee8e2-7c57-4b8e-9d33-3a9f7f2a1c01
EASYCARD_KEY=demo-easycard-key

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
    trap 'kill "$HIS_PID" ${EASYCARD_PID:-} ${PROXY_PID:-} 2>/dev/null || true' EXIT
    for _ in $(seq 50); do his_up && break; sleep 0.2; done
    his_up || { echo "The HIS simulator did not start (see var/his-simulator.log)." >&2; exit 1; }
    say "HIS simulator: started on http://127.0.0.1:$HIS_PORT"
fi

easycard_up() {
    "$PY" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$EASYCARD_PORT/_sim/faults', timeout=2)" 2>/dev/null
}
if easycard_up; then
    say "EasyCard simulator: already running on http://127.0.0.1:$EASYCARD_PORT"
else
    mkdir -p var
    "$PY" -m easycard_simulator --host 127.0.0.1 --port "$EASYCARD_PORT" \
        --terminal "$EASYCARD_TERMINAL" --private-key "$EASYCARD_KEY" --quiet \
        --auto-webhook "http://127.0.0.1:$HTTP_PORT/payment/easycard/webhook" \
        > var/easycard-simulator.log 2>&1 &
    EASYCARD_PID=$!
    trap 'kill ${HIS_PID:-} "$EASYCARD_PID" ${PROXY_PID:-} 2>/dev/null || true' EXIT
    for _ in $(seq 50); do easycard_up && break; sleep 0.2; done
    easycard_up || { echo "The EasyCard simulator did not start (see var/easycard-simulator.log)." >&2; exit 1; }
    say "EasyCard simulator: started on http://127.0.0.1:$EASYCARD_PORT"
fi

installed="$(psql -d "$DB" -tAc "SELECT count(*) FROM ir_module_module WHERE state = 'installed' AND name IN ('crm_isc_sync', 'clinic_pricelist_portal', 'clinic_portal', 'payment_easycard', 'payment_demo')" 2>/dev/null || echo 0)"
if [ "$installed" != 5 ]; then
    say "Odoo: installing the addons, EasyCard and the Demo payment provider in database $DB, with demo data, Vietnamese and Hebrew (a few minutes)"
    odoo_cmd -d "$DB" -i "$MODULES" --with-demo --load-language=en_US,vi_VN,he_IL \
        --stop-after-init --no-http --log-level=warn
else
    say "Odoo: updating the addons in database $DB"
    odoo_cmd -d "$DB" -u "$MODULES" --stop-after-init --no-http --log-level=warn
fi

# The clinic's EasyCard provider, pointed at the simulator (test mode): its only way to pay.
odoo_cmd shell -d "$DB" --no-http --log-level=warn > var/easycard-demo.log 2>&1 <<PYEOF || { echo "Could not point the clinic's EasyCard provider at the simulator (see var/easycard-demo.log)." >&2; exit 1; }
clinic = env.ref("clinic_portal.demo_company_clinic", raise_if_not_found=False)
if clinic:
    providers = env["payment.provider"].search([("company_id", "=", clinic.id)])
    providers.filtered(lambda p: p.code == "demo").write({"is_published": False})
    providers.filtered(lambda p: p.code == "easycard").write({
        "state": "test", "is_published": True,
        "easycard_terminal_id": "$EASYCARD_TERMINAL", "easycard_private_key": "$EASYCARD_KEY",
        "easycard_server_url": "http://127.0.0.1:$EASYCARD_PORT"})
    env.cr.commit()
PYEOF

if [ "$WORKERS" -gt 0 ] && [ -z "$(odoo_bin)" ]; then
    warn "this Odoo has no odoo-bin, which its multi-process server needs: running it threaded"
    WORKERS=0
fi
if [ "$WORKERS" -gt 0 ]; then
    # The workers listen behind the front proxy; live notifications on Odoo's evented port.
    WORKERS_PORT=$((HTTP_PORT + 100))
    EVENTED_PORT="$(conf_value gevent_port)"
    EVENTED_PORT="${EVENTED_PORT:-8072}"
    "$PY" scripts/front_proxy.py --port "$HTTP_PORT" --http-port "$WORKERS_PORT" \
        --websocket-port "$EVENTED_PORT" > var/front-proxy.log 2>&1 &
    PROXY_PID=$!
    trap 'kill ${HIS_PID:-} ${EASYCARD_PID:-} "$PROXY_PID" 2>/dev/null || true' EXIT
    SERVER_ARGS=(--workers="$WORKERS" --max-cron-threads=1 --http-port="$WORKERS_PORT"
                 --gevent-port="$EVENTED_PORT")
    MODE="multi-process: $WORKERS HTTP workers on port $WORKERS_PORT, a cron worker, live notifications on port $EVENTED_PORT, one address in front"
else
    SERVER_ARGS=(--workers=0)
    MODE="threaded (development), ODOO_WORKERS=0"
fi

cat <<MSG

  Odoo is starting on http://localhost:$HTTP_PORT  (database $DB)
  Server: $MODE
  Logins (the password is the login):
    admin         administrator of every company (Settings, HIS connection, sync log)
  Bệnh viện Đa khoa Hòa Bình, the Vietnamese hospital (₫, its HIS: the simulator below):
    lan.nguyen    front desk, in Vietnamese (Contacts, booking orders, Isc account sync)
  Our Clinic, the Israeli clinic in Tel Aviv (accounts in ₪, open Sunday to Thursday):
    rina.shalom   front desk and clinic administrator, in Hebrew (Clinic app)
    maya.cohen    physiotherapist whose calendar patients book (Calendar)
    noa.mizrahi   patient, in Hebrew (website: /my)
  HIS simulator: http://127.0.0.1:$HIS_PORT/api/v1  (API key $HIS_KEY)
  EasyCard simulator: http://127.0.0.1:$EASYCARD_PORT (the clinic's card terminal, test mode)
  Payments: the clinic's prepaid "Initial consultation" is paid on EasyCard's page (its
           simulator): 4111111111111111 approved, 4000000000000002 declined,
           4000000000003220 asks 3-D Secure, any future expiry and CVV. Nothing is charged.
  Stop with Ctrl-C.

MSG
odoo_cmd -d "$DB" --db-filter="^$DB\$" "${SERVER_ARGS[@]}"
