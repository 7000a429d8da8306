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
    "calendar.event": ["name", "start", "stop", "active", "clinic_patient_id",
                       "clinic_product_id", "clinic_payment_state", "clinic_hold_expiry",
                       "clinic_invoice_id", "clinic_transaction_id", "clinic_card_guarantee",
                       "clinic_guarantee_token_id", "clinic_fee_invoice_id",
                       "clinic_paid_from_balance", "clinic_plan_line_id", "clinic_no_show",
                       "clinic_plan_session_returned", "clinic_cancel_reason",
                       "clinic_course_id"],
    "account.move": ["name", "move_type", "state", "partner_id", "amount_total",
                     "invoice_origin", "payment_state", "reversed_entry_id",
                     "clinic_appointment_id"],
    "account.payment": ["amount", "payment_type", "partner_id", "state",
                        "payment_transaction_id"],
    "payment.transaction": ["reference", "state", "operation", "amount", "provider_id",
                            "payment_method_id", "partner_id", "token_id", "invoice_ids",
                            "payment_id", "source_transaction_id", "clinic_appointment_id"],
    "payment.token": ["partner_id", "provider_id", "payment_method_id", "payment_details",
                      "provider_ref", "active"],
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
    "clinic.course.enrollment": ["partner_id", "course_id", "state", "makeup_used"],
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
    seeded = seed_appointments(env, partner, service)
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
        seeded.update(seed_plan(env, partner, service))
    if "clinic.course" in env:
        seeded.update(seed_courses(env, partner, service, company))
    seeded["wrong_region_client"] = seed_wrong_region_client(env)
    return {"failed_run": failed.id, "new_clients_form": survey.id, **seeded}


def _soon(days, hour=8):
    """Naive UTC ``days`` from today at ``hour`` o'clock (in the past when negative)."""
    return datetime.now().replace(hour=hour, minute=0, second=0, microsecond=0) \
        + timedelta(days=days)


class Appointments:
    """The patient's appointments, their invoices and payments, as the client portal leaves
    them in each payment state. The states are written as seed data; what the portal's flow
    would have made with them (invoices, transactions of the Demo provider, payments, credit
    notes, refunds) is made consistent with them."""

    def __init__(self, env, partner, service):
        self.env, self.partner, self.service = env, partner, service
        self.staff = env.ref("base.user_admin")
        self.provider = env.ref("payment.payment_provider_demo")
        self.method = self.provider.payment_method_ids[:1]
        self.links_invoices = "clinic_appointment_id" in env["account.move"]._fields

    def event(self, name, start, minutes=30, **values):
        return self.env["calendar.event"].create({
            "name": name, "start": start, "stop": start + timedelta(minutes=minutes),
            "user_id": self.staff.id, "clinic_patient_id": self.partner.id,
            "clinic_product_id": self.service.id,
            "partner_ids": [(6, 0, (self.staff.partner_id | self.partner).ids)], **values})

    def invoice(self, event, price=120.0, post=False):
        """The patient's invoice of ``event`` (draft unless ``post``)."""
        values = {"move_type": "out_invoice", "partner_id": self.partner.id,
                  "invoice_origin": event.name,
                  "invoice_line_ids": [(0, 0, {"product_id": self.service.id, "quantity": 1,
                                               "price_unit": price})]}
        if self.links_invoices:
            values["clinic_appointment_id"] = event.id
        invoice = self.env["account.move"].create(values)
        if post:
            invoice.action_post()
        return invoice

    def transaction(self, event, amount, operation="online_direct", invoices=None,
                    token=None, **values):
        """A confirmed transaction of the Demo provider for ``event``, post-processed: its
        payment posted and reconciled with ``invoices`` (none for a card's validation)."""
        tx = self.env["payment.transaction"].create({
            "reference": self.env["payment.transaction"]._compute_reference(
                self.provider.code, prefix=f"APPT{event.id}"),
            "provider_id": self.provider.id, "payment_method_id": self.method.id,
            "amount": amount, "currency_id": self.env.company.currency_id.id,
            "partner_id": self.partner.id, "operation": operation,
            "token_id": token and token.id,
            "invoice_ids": [(6, 0, invoices.ids if invoices else [])],
            "clinic_appointment_id": event.id, **values})
        tx._set_done()
        if operation != "validation":
            tx._create_payment()
        tx.is_post_processed = True
        return tx

    def refund(self, tx):
        """The Demo provider's confirmed refund of ``tx``, its payment reconciled with the
        payment of ``tx``."""
        refund = tx._create_child_transaction(tx.amount, is_refund=True)
        refund._set_done()
        refund._create_payment()
        refund.is_post_processed = True
        payments = tx.payment_id | refund.payment_id
        lines = payments.move_id.line_ids.filtered(
            lambda line: line.account_id == tx.payment_id.destination_account_id
            and not line.reconciled)
        if len(lines) > 1:
            lines.reconcile()
        return refund

    def credit_note(self, event, invoice):
        """The posted credit note reversing ``invoice`` of the cancelled ``event``."""
        values = {"ref": f"Appointment cancelled by the patient: {invoice.name}",
                  "date": invoice.date, "invoice_date": invoice.invoice_date}
        if self.links_invoices:
            values["clinic_appointment_id"] = event.id
        return invoice._reverse_moves([values], cancel=True)

    def paid(self, name, start, **values):
        """An appointment paid online: its posted invoice paid by the transaction."""
        event = self.event(name, start)
        invoice = self.invoice(event, post=True)
        tx = self.transaction(event, invoice.amount_total, invoices=invoice)
        event.write({"clinic_payment_state": "paid", "clinic_invoice_id": invoice.id,
                     "clinic_transaction_id": tx.id, **values})
        return event, tx

    def paid_too_late(self, name, start, state):
        """A hold whose time was lost before its payment came: archived, its draft invoice
        cancelled, the payment kept apart from it (refunded or the patient's balance)."""
        event = self.event(name, start)
        invoice = self.invoice(event)
        tx = self.transaction(event, invoice.amount_total)
        invoice.button_cancel()
        if state == "refunded":
            self.refund(tx)
        event.write({"clinic_payment_state": state, "clinic_invoice_id": invoice.id,
                     "clinic_hold_expiry": _soon(-1, 9)})
        event.action_archive()
        return event, tx

    def cancelled_paid(self, name, start, state):
        """A paid appointment its patient cancelled: archived with the reason, its invoice
        reversed by a credit note, the money refunded to the card or kept as balance."""
        event, tx = self.paid(name, start)
        self.credit_note(event, event.clinic_invoice_id)
        if state == "cancel_refunded":
            self.refund(tx)
        event.write({"clinic_payment_state": state,
                     "clinic_cancel_reason": f"Upgrade: {state.replace('_', ' ')}."})
        event.action_archive()
        return event, tx

    def card(self):
        return self.env["payment.token"].create({
            "provider_id": self.provider.id, "payment_method_id": self.method.id,
            "partner_id": self.partner.id, "payment_details": "4242",
            "provider_ref": "upgrade-card-4242", "demo_simulated_state": "done"})

    def guaranteed(self, name, start, token, validation=True):
        """An appointment booked against the patient's saved card, nothing charged; the card
        saved by the validation transaction of its booking."""
        event = self.event(name, start)
        if validation:
            self.transaction(
                event, self.provider._get_validation_amount(), operation="validation",
                token=token, tokenize=True)
        event.write({"clinic_payment_state": "guaranteed", "clinic_card_guarantee": True,
                     "clinic_guarantee_token_id": token.id})
        return event

    def balance_paid(self, name, start):
        """An appointment paid at booking from the patient's balance: a goodwill credit
        note, reconciled with its posted invoice."""
        event = self.event(name, start)
        invoice = self.invoice(event, post=True)
        goodwill = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": self.partner.id,
            "invoice_line_ids": [(0, 0, {"name": "Goodwill", "quantity": 1,
                                         "price_unit": invoice.amount_total,
                                         "tax_ids": [(6, 0, [])]})]})
        goodwill.action_post()
        invoice.js_assign_outstanding_line(goodwill.line_ids.filtered(
            lambda line: line.account_id == invoice.line_ids.filtered(
                lambda inv_line: inv_line.display_type == "payment_term").account_id).id)
        event.write({"clinic_payment_state": "paid", "clinic_invoice_id": invoice.id,
                     "clinic_paid_from_balance": True})
        return event


def seed_appointments(env, partner, service):
    """An appointment in every payment state of the client portal, of one patient."""
    book = Appointments(env, partner, service)
    # Held for payment, the hold alive long after the upgrade: its draft invoice waits.
    held = book.event("Upgrade appointment", _soon(10))
    invoice = book.invoice(held)
    held.write({"clinic_payment_state": "awaiting", "clinic_invoice_id": invoice.id,
                "clinic_hold_expiry": datetime.now().replace(microsecond=0)
                + timedelta(hours=12)})
    paid, paid_tx = book.paid("Upgrade paid appointment", _soon(11))
    released = book.event("Upgrade released appointment", _soon(12))
    released.write({"clinic_payment_state": "released",
                    "clinic_invoice_id": book.invoice(released).id,
                    "clinic_hold_expiry": _soon(-1, 7)})
    released.clinic_invoice_id.button_cancel()
    released.action_archive()
    refunded, _tx = book.paid_too_late("Upgrade refunded appointment", _soon(13), "refunded")
    credited, _tx = book.paid_too_late("Upgrade credited appointment", _soon(13, 10),
                                       "credited")
    token = book.card()
    guaranteed = book.guaranteed("Upgrade guaranteed appointment", _soon(14), token)
    # A no-show of a guaranteed appointment, its fee charged to the card.
    missed = book.guaranteed("Upgrade missed appointment", _soon(-3), token, validation=False)
    fee = book.invoice(missed, price=50.0, post=True)
    book.transaction(missed, fee.amount_total, operation="offline", invoices=fee, token=token)
    missed.write({"clinic_payment_state": "fee_charged", "clinic_fee_invoice_id": fee.id,
                  "clinic_no_show": True})
    cancel_refunded, _tx = book.cancelled_paid(
        "Upgrade cancelled, refunded", _soon(15), "cancel_refunded")
    cancel_credited, _tx = book.cancelled_paid(
        "Upgrade cancelled, credited", _soon(15, 10), "cancel_credited")
    from_balance = book.balance_paid("Upgrade appointment paid from the balance", _soon(16))
    return {"held_event": held.id, "paid_event": paid.id, "paid_tx": paid_tx.id,
            "released_event": released.id, "refunded_event": refunded.id,
            "credited_event": credited.id, "guaranteed_event": guaranteed.id,
            "card": token.id, "fee_event": missed.id, "cancel_refunded_event":
            cancel_refunded.id, "cancel_credited_event": cancel_credited.id,
            "balance_event": from_balance.id}


def seed_plan(env, partner, service):
    """A treatment plan of six sessions: one done, one missed that stays used, one missed
    and given back; what its line counts, as the previous version counts it."""
    plan = env["clinic.treatment.plan"].create({
        "partner_id": partner.id, "date_start": "2026-11-01", "date_end": "2099-03-31",
        "line_ids": [(0, 0, {"product_id": service.id, "sessions": 6,
                             "staff_user_ids": [(4, env.ref("base.user_admin").id)]})]})
    plan.action_activate()
    line = plan.line_ids
    book = Appointments(env, partner, service)
    book.event("Upgrade plan session", _soon(-14), clinic_plan_line_id=line.id)
    book.event("Upgrade plan session missed", _soon(-7), clinic_plan_line_id=line.id,
               clinic_no_show=True)
    book.event("Upgrade plan session given back", _soon(-5), clinic_plan_line_id=line.id,
               clinic_no_show=True, clinic_plan_session_returned=True)
    line.invalidate_recordset()
    return {"plan_line": line.id, "plan_counts": [line.sessions_booked, line.sessions_done,
                                                  line.sessions_left]}


def seed_courses(env, partner, service, company):
    """Two groups of one course: the patient enrolled in the first, seated in its meeting,
    and making up a meeting in the second."""
    courses = env["clinic.course"].create([
        {"name": name, "product_id": service.id, "capacity": 4, "company_id": company.id}
        for name in ("Upgrade group", "Upgrade group B")])
    # Meetings still to come, so the enrolled client gets a seat in the own group's.
    events = env["calendar.event"]
    meeting, other_meeting = (events.create({
        "name": f"{course.name} meeting", "start": start, "stop": start + timedelta(hours=1),
        "clinic_course_id": course.id}) for course, start in zip(
            courses, (_soon(30, 16), _soon(31, 16)), strict=True))
    enrollment = env["clinic.course.enrollment"].create({"partner_id": partner.id,
                                                         "course_id": courses[0].id})
    makeup = env["clinic.course.seat"]._seat(other_meeting, enrollment, "makeup")
    enrollment.invalidate_recordset()
    return {"course_meeting": meeting.id, "makeup_meeting": other_meeting.id,
            "makeup_seat": makeup.id, "enrollment": enrollment.id,
            "makeup_counts": [enrollment.makeup_used, enrollment.makeup_left]}


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
    if "paid_event" in seeded:
        problems += appointments_work(env, seeded)
    if "plan_line" in seeded:
        line = env["clinic.treatment.plan.line"].browse(seeded["plan_line"])
        counts = [line.sessions_booked, line.sessions_done, line.sessions_left]
        if counts != seeded["plan_counts"]:
            problems.append(f"clinic.treatment.plan.line {line.id}: booked, done, left "
                            f"{counts}, were {seeded['plan_counts']}")
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
    if "makeup_seat" in seeded:
        problems += makeup_works(env, seeded)
    problems += settings_screen_works(env)
    problems += families_work(env, seeded)
    return problems


def families_work(env, seeded):
    """Since 19.0.1.8.0 an appointment has a payer: those already there are paid by their
    patient, whose invoices the appointment's page still links; and a client can act for a
    child of the clinic, whose appointments they then read."""
    problems = []
    for event in env["calendar.event"].with_context(active_test=False).search(
            [("clinic_patient_id", "!=", False)]):
        if event.clinic_payer_id != event.clinic_patient_id:
            problems.append(f"calendar.event {event.id}: paid by {event.clinic_payer_id.ids}, "
                            f"not its patient {event.clinic_patient_id.id}")
    if "paid_event" in seeded:
        paid = env["calendar.event"].browse(seeded["paid_event"])
        if paid.clinic_invoice_id not in paid._clinic_portal_invoices():
            problems.append(f"calendar.event {paid.id}: its page no longer links its invoice "
                            f"{paid.clinic_invoice_id.name}")
    if not env.ref("clinic_portal.ir_cron_family_adulthood", raise_if_not_found=False):
        problems.append("ir.cron: no job ends the family links of children who came of age")
    event = env["calendar.event"].browse(seeded.get("paid_event") or ()).exists()
    parent = env["res.users"].search([("share", "=", True),
                                      ("partner_id", "!=", event.clinic_patient_id.id)],
                                     limit=1)
    if event and parent:
        child = event.clinic_patient_id
        child.clinic_birthdate = datetime.now().date() - timedelta(days=365 * 7)
        env["clinic.family.link"].create({"guardian_id": parent.partner_id.id,
                                          "patient_id": child.id})
        if event not in env["calendar.event"].with_user(parent).search([]):
            problems.append(f"calendar.event {event.id}: {parent.name}, acting for "
                            f"{child.name}, does not read their appointment")
    return problems


def settings_screen_works(env):
    """Since 19.0.1.7.0 the clinic administrator opens the client portal's settings, with the
    course and treatment plan blocks, from the clinic's menu, without system rights; and the
    registration form always asks for the e-mail."""
    problems = []
    menu = env.ref("clinic_portal.res_config_settings_menu")
    rina = env.ref("clinic_portal.user_rina_frontdesk")
    if menu.id not in env["ir.ui.menu"].with_user(rina)._visible_menu_ids():
        problems.append(f"ir.ui.menu {menu.id}: the clinic administrator does not see "
                        f"{menu.complete_name!r} (groups {menu.group_ids.mapped('name')})")
    arch = env["clinic.portal.settings"].with_user(rina).get_views([(False, "form")])
    arch = arch["views"]["form"]["arch"]
    for block in ("clinic_portal_booking", "clinic_portal_courses",
                  "clinic_portal_treatment_plans"):
        if f'name="{block}"' not in arch:
            problems.append(f"clinic.portal.settings: block {block} not on the screen")
    clinic = rina.company_id
    before = clinic.clinic_portal_min_hours_new
    settings = env["clinic.portal.settings"].with_user(rina).with_context(
        allowed_company_ids=clinic.ids).create({"clinic_portal_min_hours_new": before + 1})
    settings.execute()
    if clinic.clinic_portal_min_hours_new != before + 1:
        problems.append("clinic.portal.settings: the clinic administrator's change was not "
                        "saved")
    clinic.clinic_portal_min_hours_new = before
    # The e-mail is the login: every company's registration form asks for it.
    for row in env["clinic.registration.field"].search([("field_name", "=", "email")]):
        if not (row.show and row.required):
            problems.append(f"clinic.registration.field {row.id}: the e-mail of "
                            f"{row.company_id.name} is not shown and required")
    return problems


def appointments_work(env, seeded):
    """What the clinic reads of each appointment's payment after the upgrade."""
    problems = []
    events = env["calendar.event"]

    def event(key):
        return events.browse(seeded[key])

    def problem(record, text):
        problems.append(f"{record._name} {record.id}: {text}")

    held = event("held_event")
    if not (held.active and held.clinic_payment_state == "awaiting"
            and held.clinic_hold_expiry > datetime.now()
            and held.clinic_invoice_id.state == "draft"):
        problem(held, f"no longer held for payment ({held.clinic_payment_state}, until "
                      f"{held.clinic_hold_expiry}, invoice {held.clinic_invoice_id.state})")
    paid, tx = event("paid_event"), env["payment.transaction"].browse(seeded["paid_tx"])
    if paid.clinic_transaction_id != tx or tx not in paid.clinic_transaction_ids \
            or tx.state != "done" or tx.clinic_appointment_id != paid:
        problem(paid, f"does not find its payment {tx.reference} ({tx.state}): paid by "
                      f"{paid.clinic_transaction_id.ids}, of {paid.clinic_transaction_ids.ids}")
    for key in ("paid_event", "balance_event"):
        invoice = event(key).clinic_invoice_id
        if invoice.state != "posted" or not invoice.currency_id.is_zero(
                invoice.amount_residual):
            problem(event(key), f"its invoice {invoice.name} is {invoice.state}, "
                                f"{invoice.amount_residual} due")
    if not event("balance_event").clinic_paid_from_balance:
        problem(event("balance_event"), "no longer paid from the balance")
    for key in ("released_event", "refunded_event", "credited_event", "cancel_refunded_event",
                "cancel_credited_event"):
        if event(key).clinic_portal_status != "cancelled":
            problem(event(key), f"{event(key).clinic_payment_state} but shown "
                                f"{event(key).clinic_portal_status}, not cancelled")
    for key in ("refunded_event", "cancel_refunded_event"):
        refunds = event(key).clinic_transaction_ids.child_transaction_ids.filtered(
            lambda child: child.operation == "refund" and child.state == "done")
        if not refunds:
            problem(event(key), "its payment's refund is gone")
    for key in ("cancel_refunded_event", "cancel_credited_event"):
        invoice = event(key).clinic_invoice_id
        if not event(key).clinic_invoice_ids.filtered(
                lambda move, invoice=invoice: move.reversed_entry_id == invoice
                and move.state == "posted"):
            problem(event(key), f"the credit note of {invoice.name} is not among its invoices")
    card = env["payment.token"].browse(seeded["card"])
    guaranteed = event("guaranteed_event")
    available = env["payment.token"]._get_available_tokens(
        card.provider_id.ids, guaranteed.clinic_patient_id.id)
    if guaranteed.clinic_guarantee_token_id != card or not guaranteed.clinic_card_guarantee \
            or card not in available:
        problem(guaranteed, f"does not find the patient's card {card.id} "
                            f"({guaranteed.clinic_guarantee_token_id.ids}, the patient's cards "
                            f"{available.ids})")
    missed = event("fee_event")
    fee = missed.clinic_fee_invoice_id
    charged = missed.clinic_transaction_ids.filtered(
        lambda t: t.operation == "offline" and t.state == "done" and t.token_id == card)
    if not (missed.clinic_no_show and fee in missed.clinic_invoice_ids and charged
            and fee.state == "posted" and fee.currency_id.is_zero(fee.amount_residual)):
        problem(missed, f"its no-show fee {fee.name} or its charge to the card is lost "
                        f"({charged.ids})")
    return problems


def makeup_works(env, seeded):
    """The make-up seat still sits in the other group's meeting and counts as used."""
    problems = []
    seat = env["clinic.course.seat"].browse(seeded["makeup_seat"])
    enrollment = env["clinic.course.enrollment"].browse(seeded["enrollment"])
    meeting = env["calendar.event"].browse(seeded["makeup_meeting"])
    if seat not in meeting.clinic_seat_ids.filtered("is_live") or seat.kind != "makeup" \
            or meeting.clinic_seats_taken != 1:
        problems.append(f"clinic.course.seat {seat.id}: the make-up seat ({seat.kind}, "
                        f"{seat.state}) is not in its meeting {meeting.id}")
    counts = [enrollment.makeup_used, enrollment.makeup_left]
    if counts != seeded["makeup_counts"]:
        problems.append(f"clinic.course.enrollment {enrollment.id}: make-up sessions used, "
                        f"left {counts}, were {seeded['makeup_counts']}")
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
