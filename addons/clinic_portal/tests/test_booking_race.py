import threading
import uuid
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.orm.environments import Transaction
from odoo.tests import TransactionCase, tagged

PARALLEL = 6
SETTINGS = {
    "clinic_portal_enabled": True, "clinic_portal_self_scheduling": True,
    "clinic_portal_min_hours_new": 0, "clinic_portal_prevent_parallel": True,
    "clinic_portal_prevent_gaps": False,
    "clinic_portal_future_limit": 1, "clinic_portal_future_limit_scope": "global",
    "clinic_portal_search_start_days": 0, "clinic_portal_search_range_days": 30,
    "clinic_portal_slot_step": 0, "clinic_portal_treating_team_only": False,
}


class ParallelBookings:
    """Bookings in real parallel transactions: the data is committed, then removed."""

    def _committed(self, function):
        # A registry cursor commits when its block ends without an error.
        with self.registry.cursor() as cr:
            return function(api.Environment(cr, SUPERUSER_ID, {}))

    def _prepare(self, env):
        company = env.company
        old = {name: company[name] for name in SETTINGS}
        company.write(SETTINGS)
        hours = env["resource.calendar"].create({
            "name": "Race hours", "tz": "UTC",
            "attendance_ids": [Command.create({
                "name": f"{day}", "dayofweek": str(day), "hour_from": 0, "hour_to": 23.99,
                "day_period": "morning"}) for day in range(7)]})
        stamp = uuid.uuid4().hex[:8]
        staff = env["res.users"].create({
            "name": "Race Staff", "login": f"race_staff_{stamp}", "tz": "UTC",
            "group_ids": [Command.set([env.ref("base.group_user").id])]})
        staff.write({"resource_calendar_id": hours.id, "clinic_portal_bookable": True})
        patient = env["res.users"].create({
            "name": "Race Patient", "login": f"race_patient_{stamp}", "tz": "UTC",
            "group_ids": [Command.set([env.ref("base.group_portal").id])]})
        service = env["product.product"].create({
            "name": "Race check-up", "type": "service", "list_price": 0.0,
            "clinic_duration_minutes": 30, "clinic_portal_visible": True,
            "clinic_staff_user_ids": [Command.set(staff.ids)]})
        return old, staff.id, patient.partner_id.id, service.id

    def _remove(self, env, old, staff_id, patient_id, service_id):
        env["calendar.event"].with_context(active_test=False).search(
            [("clinic_patient_id", "=", patient_id)]).unlink()
        env["account.move"].search([("partner_id", "=", patient_id)]).unlink()
        users = env["res.users"].browse(staff_id) | env["res.partner"].browse(
            patient_id).user_ids
        users.write({"clinic_portal_bookable": False})
        for user in users:
            user.write({"login": f"race_done_{user.id}", "active": False})
        env["product.product"].browse(service_id).product_tmpl_id.active = False
        env.company.write(old)

    def _book_in_parallel(self, staff_id, patient_id, service_id, same_time=False,
                          patient_ids=None, payer_id=None, staff_ids=None):
        """Book ``PARALLEL`` times at once: for ``patient_id``, or the i-th of
        ``patient_ids``, paid by ``payer_id`` (the patient when none), with ``staff_id`` or
        the i-th of ``staff_ids``."""
        first = (datetime.now(UTC) + timedelta(days=2)).replace(
            hour=8, minute=0, second=0, microsecond=0)
        barrier = threading.Barrier(PARALLEL)
        outcomes, reasons, self.booked_ids = [], [], []

        def book(index):
            try:
                with self.registry.cursor() as cr:
                    # The test runner holds the registry lock: bind the loaded registry
                    # rather than let the environment look it up.
                    cr.transaction = Transaction(self.registry)
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    policy = env.company._clinic_portal_policy()
                    barrier.wait(timeout=60)
                    engine = env["clinic.booking.engine"]
                    partners = env["res.partner"]
                    event = engine._book(engine._service_request(
                        partners.browse(patient_ids[index] if patient_ids else patient_id),
                        env["product.product"].browse(service_id),
                        first + timedelta(hours=0 if same_time else index), policy,
                        staff_user=env["res.users"].browse(
                            staff_ids[index] if staff_ids else staff_id),
                        payer=partners.browse(payer_id) if payer_id else None))
                    self.booked_ids.append(event.id)
                outcomes.append("booked")
            except UserError as exc:
                outcomes.append("refused")
                reasons.append(str(exc))
            except threading.BrokenBarrierError:
                outcomes.append("stuck")

        threads = [threading.Thread(target=book, args=(i,)) for i in range(PARALLEL)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        return outcomes, reasons


@tagged("post_install", "-at_install")
class TestBookingRace(ParallelBookings, TransactionCase):
    """Parallel bookings of one patient: the future limit and one hold per booking."""

    def test_parallel_bookings_of_one_patient_respect_the_future_limit(self):
        old, staff_id, patient_id, service_id = self._committed(self._prepare)
        self.addCleanup(self._committed, lambda env: self._remove(
            env, old, staff_id, patient_id, service_id))
        partner_class = type(self.env["res.partner"])
        # Mandatory forms have tests of their own; this one is about the race.
        with patch.object(partner_class, "_clinic_booking_blockers", lambda self, p: []):
            outcomes, reasons = self._book_in_parallel(staff_id, patient_id, service_id)
        self.assertEqual(sorted(outcomes), ["booked"] + ["refused"] * (PARALLEL - 1), reasons)

    def test_parallel_submits_of_one_prepaid_booking_make_one_hold(self):
        old, staff_id, patient_id, service_id = self._committed(self._prepare)
        self.addCleanup(self._committed, lambda env: self._remove(
            env, old, staff_id, patient_id, service_id))
        self._committed(lambda env: env["product.product"].browse(service_id).write(
            {"list_price": 100.0, "clinic_prepayment_required": True}))
        partner_class = type(self.env["res.partner"])
        with patch.object(partner_class, "_clinic_booking_blockers", lambda self, p: []):
            outcomes, reasons = self._book_in_parallel(staff_id, patient_id, service_id,
                                                       same_time=True)
        self.assertEqual(outcomes, ["booked"] * PARALLEL, reasons)
        self.assertEqual(len(set(self.booked_ids)), 1)
        holds = self._committed(lambda env: env["calendar.event"].search(
            [("clinic_patient_id", "=", patient_id)]).mapped("clinic_payment_state"))
        self.assertEqual(holds, ["awaiting"])
