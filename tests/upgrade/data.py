"""Data a clinic has before an upgrade, and the check that it is all there after.

    python tests/upgrade/data.py seed  -c CONF -d DB --addons-path OLD_ADDONS  (old code)
    python tests/upgrade/data.py check -c CONF -d DB --addons-path ADDONS      (new code)

``seed`` creates records through the previous version's models and writes a snapshot of their
stored values; ``check`` reads the same values through the upgraded models and compares them,
field by field, then runs the checks of each migration. Exit 1 and one line per difference
when anything was lost or changed.
"""

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parents[2] / "var" / "upgrade-snapshot.json"

REASON = "The HIS did not answer (upgrade test)."

# (model, fields) whose stored values must come through an upgrade unchanged.
KEPT = {
    "res.partner": ["name", "phone", "email", "isc_patient_code", "isc_account_login",
                    "isc_account_status", "clinic_national_id", "clinic_status_id",
                    "clinic_birthdate"],
    "calendar.event": ["name", "start", "stop", "clinic_patient_id", "clinic_product_id",
                       "clinic_payment_state", "clinic_hold_expiry", "clinic_invoice_id"],
    "account.move": ["name", "state", "partner_id", "amount_total", "invoice_origin"],
    "isc.sync.run": ["mode", "state", "date_from", "date_to", "failure_code", "partner_id"],
    "res.company": ["clinic_portal_enabled", "clinic_portal_future_limit",
                    "clinic_portal_min_hours_new", "clinic_portal_search_range_days",
                    "clinic_portal_reminder_hours", "isc_his_base_url", "isc_sync_watermark"],
    "clinic.mandatory.form": ["survey_id", "sequence", "company_id"],
    "clinic.client.status": ["name"],
    # Since 19.0.1.3.0: treatment plans and course groups.
    "clinic.treatment.plan": ["name", "partner_id", "company_id", "state", "date_start",
                              "date_end"],
    "clinic.treatment.plan.line": ["plan_id", "product_id", "sessions", "staff_user_ids"],
    "clinic.course": ["name", "product_id", "capacity", "company_id", "date_start",
                      "date_end"],
    "clinic.course.enrollment": ["partner_id", "course_id", "state"],
    "clinic.course.seat": ["meeting_id", "partner_id", "enrollment_id", "kind", "state"],
}


def environment(args):
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", args.config, "-d", args.database,
                         f"--addons-path={args.addons_path}"], setup_logging=False)
    registry = Registry(args.database)
    cr = registry.cursor()
    return cr, odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"active_test": False})


def seed(env):
    """Records of every kind an upgrade could touch, made with the previous version."""
    company = env.ref("base.main_company")
    company.write({"clinic_portal_enabled": True, "clinic_portal_future_limit": 0,
                   "clinic_portal_min_hours_new": 36, "clinic_portal_search_range_days": 45,
                   "isc_his_base_url": "http://127.0.0.1:8899/api/v1",
                   "isc_sync_watermark": "2026-11-20 06:00:00"})
    partner = env["res.partner"].create({
        "name": "Upgrade Patient", "phone": "050-7654321", "email": "upgrade@example.com",
        "isc_patient_code": "BNUPG001", "isc_account_login": "isc-upgrade",
        "isc_account_status": "active", "clinic_national_id": "123456782",
        "clinic_birthdate": "1980-02-03"})
    service = env["product.product"].search([("clinic_portal_visible", "=", True)], limit=1)
    events = env["calendar.event"]
    event = events.create({
        "name": "Upgrade appointment", "start": "2026-12-01 08:00:00",
        "stop": "2026-12-01 08:30:00", "clinic_patient_id": partner.id,
        "clinic_product_id": service.id, "partner_ids": [(4, partner.id)]})
    seeded = {}
    # Since the prepayment, an appointment held for payment has its draft invoice; since
    # 19.0.1.2.0 the invoice also knows its appointment.
    if "clinic_invoice_id" in events._fields:
        invoice = env["account.move"].create({
            "move_type": "out_invoice", "partner_id": partner.id,
            "invoice_origin": event.name,
            "invoice_line_ids": [(0, 0, {"product_id": service.id, "quantity": 1,
                                         "price_unit": 120.0})]})
        event.write({"clinic_payment_state": "awaiting", "clinic_invoice_id": invoice.id,
                     "clinic_hold_expiry": "2026-11-30 08:15:00"})
        # A version that links them links the invoice as its hold does; an older one leaves
        # the link to the 19.0.1.2.0 migration.
        if "clinic_appointment_id" in invoice._fields:
            invoice.clinic_appointment_id = event
        seeded["held_event"] = event.id
    failed = env["isc.sync.run"].create({
        "mode": "range", "date_from": "2026-11-01 00:00:00", "date_to": "2026-11-02 00:00:00",
        "company_id": company.id})
    # Before 19.0.1.1.0 the reason was stored as text; since then as a code and its values.
    if "failure_code" in failed._fields:
        failed.write({"state": "failed", "failure_code": "rejected",
                      "failure_params": {"message": REASON}})
    else:
        failed.write({"state": "failed", "failure_reason": REASON})
    survey = env["survey.survey"].create({"title": "Upgrade intake"})
    forms = env["clinic.mandatory.form"]
    # Before 19.0.1.1.0 "new clients only" was a frequency; since then it is an audience.
    audience = ({"audience": "new_clients", "frequency": "once"} if "audience" in forms._fields
                else {"frequency": "new_clients"})
    forms.create({"company_id": company.id, "survey_id": survey.id, **audience})
    if "clinic.treatment.plan" in env:
        plan = env["clinic.treatment.plan"].create({
            "partner_id": partner.id, "date_start": "2026-11-01", "date_end": "2099-03-31",
            "line_ids": [(0, 0, {"product_id": service.id, "sessions": 6,
                                 "staff_user_ids": [(4, env.ref("base.user_admin").id)]})]})
        plan.action_activate()
        event.clinic_plan_line_id = plan.line_ids
    if "clinic.course" in env:
        course = env["clinic.course"].create({
            "name": "Upgrade group", "product_id": service.id, "capacity": 4,
            "company_id": company.id})
        # A meeting still to come, so the enrolled client gets a seat in it.
        start = datetime.now().replace(hour=16, minute=0, second=0, microsecond=0) \
            + timedelta(days=30)
        meeting = events.create({
            "name": "Upgrade group meeting", "start": start, "stop": start + timedelta(hours=1),
            "clinic_course_id": course.id})
        env["clinic.course.enrollment"].create({"partner_id": partner.id,
                                                "course_id": course.id})
        seeded["course_meeting"] = meeting.id
    seeded["wrong_region_client"] = seed_wrong_region_client(env)
    return {"failed_run": failed.id, "new_clients_form": survey.id, **seeded}


# A client of the Israeli clinic whose mobile was typed without its prefix by an administrator
# of the main company: before 19.0.1.6.0 its key was read in the main company's region.
WRONG_REGION_MOBILE = "052-3456789"


def seed_wrong_region_client(env):
    clinic = env.ref("clinic_portal.demo_company_clinic")
    main = env.ref("base.main_company")
    client = env["res.partner"].create({"name": "Wrong Region Client"})
    env["res.users"].create({
        "name": client.name, "login": "wrong.region@example.com", "partner_id": client.id,
        "company_id": clinic.id, "company_ids": [(6, 0, clinic.ids)],
        "group_ids": [(6, 0, [env.ref("base.group_portal").id])]})
    typed = client.with_company(main)
    typed.write({"phone": WRONG_REGION_MOBILE})
    typed.flush_recordset()
    print(f"upgrade data: {client.name}'s key is {client.clinic_phone_key} "
          f"(read in {main.country_id.code or 'no country'})")
    return client.id


def snapshot(env):
    values = {}
    for model, names in KEPT.items():
        if model not in env:
            continue
        records = env[model].search([], order="id")
        names = [name for name in names if name in env[model]._fields]
        values[model] = {str(r["id"]): {n: str(r[n]) for n in names}
                         for r in records.read(names)}
    return values


def compare(before, after):
    lost = []
    for model, records in before.items():
        for rid, fields in records.items():
            now = after.get(model, {}).get(rid)
            if now is None:
                lost.append(f"{model} {rid}: gone after the upgrade")
                continue
            lost += [f"{model} {rid}: {name} was {old!r}, is {now[name]!r}"
                     for name, old in fields.items() if now[name] != old]
    return lost


def migrated(env, seeded):
    """What each migration promises for the records it converts."""
    problems = []
    run = env["isc.sync.run"].browse(seeded["failed_run"])
    if REASON not in (run.failure_reason or ""):
        problems.append(f"isc.sync.run {run.id}: failure reason lost ({run.failure_reason!r})")
    form = env["clinic.mandatory.form"].search([("survey_id", "=", seeded["new_clients_form"])])
    if (form.audience, form.frequency) != ("new_clients", "once"):
        problems.append(f"clinic.mandatory.form {form.id}: a new-clients form became "
                        f"{form.audience!r}/{form.frequency!r}, not 'new_clients'/'once'")
    if "held_event" in seeded:
        event = env["calendar.event"].browse(seeded["held_event"])
        if event.clinic_invoice_id not in event.clinic_invoice_ids:
            problems.append(f"calendar.event {event.id}: its invoice is not among its "
                            f"invoices ({event.clinic_invoice_ids.ids})")
    # Since 19.0.1.5.0 each attendance keeps the time it takes: the upgrade computes it for
    # the attendances already there, or their appointments would no longer take any time.
    attendees = env["calendar.attendee"].search([])
    if "clinic_busy_from" in attendees._fields:
        for attendee in attendees:
            span = attendee._clinic_busy_span()
            span = span and (float(span[0]), float(span[1]), span[2])
            kept = (attendee.clinic_busy_from, attendee.clinic_busy_to,
                    attendee.clinic_busy_hold) if attendee.clinic_busy_to else None
            if kept != span:
                problems.append(f"calendar.attendee {attendee.id}: takes {kept}, not {span}")
        if not attendees.filtered("clinic_busy_to"):
            problems.append("no attendance takes any time after the upgrade")
    # Since 19.0.1.6.0 a phone key is read in the contact's own region: the upgrade computes
    # the keys again, and the Israeli clinic's registration finds the client.
    client = env["res.partner"].browse(seeded["wrong_region_client"])
    clinic = env.ref("clinic_portal.demo_company_clinic")
    from odoo.addons.clinic_portal.services.registration_rules import phone_key

    typed = phone_key(WRONG_REGION_MOBILE, clinic.country_id.code)
    found = env["clinic.registration"]._find_known("", typed, "")
    if found != client:
        problems.append(f"res.partner {client.id}: key {client.clinic_phone_key!r}, the "
                        f"clinic's registration of {typed} finds {found.ids}, not the client")
    if "course_meeting" in seeded:
        meeting = env["calendar.event"].browse(seeded["course_meeting"])
        if len(meeting.clinic_seat_ids.filtered("is_live")) != 1:
            problems.append(f"calendar.event {meeting.id}: the enrolled client's seat is "
                            f"not in the meeting ({meeting.clinic_seat_ids.ids})")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=["seed", "check"])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--addons-path", required=True)
    args = parser.parse_args()
    cr, env = environment(args)
    try:
        if args.step == "seed":
            seeded = seed(env)
            cr.commit()
            SNAPSHOT.write_text(json.dumps({"seeded": seeded, "values": snapshot(env)}))
            print(f"upgrade data: {sum(len(r) for r in snapshot(env).values())} records seeded")
            return 0
        saved = json.loads(SNAPSHOT.read_text())
        problems = compare(saved["values"], snapshot(env)) + migrated(env, saved["seeded"])
    finally:
        cr.close()
    for line in problems:
        print(f"  upgrade data: {line}")
    checked = sum(len(r) for r in saved["values"].values())
    print(f"upgrade data: {checked} records compared, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
