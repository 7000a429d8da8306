import threading
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.orm.environments import Transaction
from odoo.tests import TransactionCase, tagged

from .test_booking_race import PARALLEL, ParallelBookings


@tagged("post_install", "-at_install")
class TestTreatmentPlanRace(ParallelBookings, TransactionCase):
    """The last session of a plan booked in parallel, with different staff: one booking."""

    def _prepare_plan(self, env):
        old, staff_id, patient_id, service_id = self._prepare(env)
        env.company.write({"clinic_portal_future_limit": 0,
                           "clinic_portal_service_types": "both",
                           "clinic_portal_plan_alias": "Session from your treatment plan"})
        staff = env["res.users"].browse(staff_id)
        other = env["res.users"].create({
            "name": "Race Staff Two", "login": f"{staff.login}_two", "tz": "UTC",
            "group_ids": [Command.set([env.ref("base.group_user").id])]})
        other.write({"resource_calendar_id": staff.resource_calendar_id.id,
                     "clinic_portal_bookable": True})
        env["product.product"].browse(service_id).clinic_staff_user_ids |= other
        plan = env["clinic.treatment.plan"].create({
            "partner_id": patient_id,
            "line_ids": [Command.create({"product_id": service_id, "sessions": 1})]})
        plan.action_activate()
        return old, (staff_id, other.id), patient_id, service_id, plan.line_ids.id

    def _remove_plan(self, env, old, staff_ids, patient_id, service_id, line_id):
        env["calendar.event"].with_context(active_test=False).search(
            [("clinic_patient_id", "=", patient_id)]).unlink()
        env["clinic.treatment.plan.line"].browse(line_id).plan_id.unlink()
        users = env["res.users"].browse(staff_ids[1])
        users.write({"clinic_portal_bookable": False, "login": f"race_done_{users.id}",
                     "active": False})
        self._remove(env, old, staff_ids[0], patient_id, service_id)

    def test_the_last_session_booked_twice_in_parallel_gives_one_appointment(self):
        prepared = self._committed(self._prepare_plan)
        self.addCleanup(self._committed, lambda env: self._remove_plan(env, *prepared))
        _old, staff_ids, patient_id, _service_id, line_id = prepared
        first = (datetime.now(UTC) + timedelta(days=2)).replace(
            hour=8, minute=0, second=0, microsecond=0)
        barrier = threading.Barrier(PARALLEL)
        outcomes, reasons = [], []

        def book(index):
            try:
                with self.registry.cursor() as cr:
                    cr.transaction = Transaction(self.registry)
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    policy = env.company._clinic_portal_policy()
                    barrier.wait(timeout=60)
                    # Other staff and other times: only the count of sessions can refuse.
                    engine = env["clinic.booking.engine"]
                    engine._book(engine._plan_session_request(
                        env["res.partner"].browse(patient_id),
                        env["clinic.treatment.plan.line"].browse(line_id),
                        first + timedelta(hours=index), policy,
                        staff_user=env["res.users"].browse(staff_ids[index % 2])))
                outcomes.append("booked")
            except UserError as exc:
                outcomes.append("refused")
                reasons.append(str(exc))
            except threading.BrokenBarrierError:
                outcomes.append("stuck")

        partner_class = type(self.env["res.partner"])
        with patch.object(partner_class, "_clinic_booking_blockers", lambda self, p: []):
            threads = [threading.Thread(target=book, args=(i,)) for i in range(PARALLEL)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        self.assertEqual(sorted(outcomes), ["booked"] + ["refused"] * (PARALLEL - 1), reasons)
        self.assertTrue(all("Every session" in reason for reason in reasons), reasons)
        booked = self._committed(lambda env: env["calendar.event"].search_count(
            [("clinic_plan_line_id", "=", line_id)]))
        self.assertEqual(booked, 1)
