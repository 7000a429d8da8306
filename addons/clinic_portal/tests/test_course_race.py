import threading
import uuid
from datetime import UTC, datetime, timedelta

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.orm.environments import Transaction
from odoo.tests import TransactionCase, tagged

from .test_booking_race import ParallelBookings

CLIENTS = 6
SETTINGS = {
    "clinic_portal_enabled": True, "clinic_portal_self_scheduling": True,
    "clinic_portal_min_hours_new": 0, "clinic_portal_prevent_parallel": True,
    "clinic_portal_search_start_days": 0, "clinic_portal_search_range_days": 30,
    "clinic_portal_makeup_sessions": 14,
}


@tagged("post_install", "-at_install")
class TestCourseSeatRace(ParallelBookings, TransactionCase):
    """Clients of one group race, in real parallel transactions, for the last free seat of
    a meeting of another group: one gets it."""

    def _prepare_course(self, env):
        company = env.company
        old = {name: company[name] for name in SETTINGS}
        company.write(SETTINGS)
        stamp = uuid.uuid4().hex[:8]
        staff = env["res.users"].create({
            "name": "Race Instructor", "login": f"race_instructor_{stamp}", "tz": "UTC",
            "group_ids": [Command.set([env.ref("base.group_user").id])]})
        clients = env["res.users"].create([{
            "name": f"Race Client {i}", "login": f"race_client_{stamp}_{i}", "tz": "UTC",
            "group_ids": [Command.set([env.ref("base.group_portal").id])]}
            for i in range(CLIENTS + 1)]).partner_id
        service = env["product.product"].create({
            "name": "Race aqua group", "type": "service", "clinic_duration_minutes": 45})
        start = (datetime.now(UTC) + timedelta(days=3)).replace(
            hour=17, minute=0, second=0, microsecond=0, tzinfo=None)
        # Race A seats its clients, Race B has one client and one seat left.
        groups = env["clinic.course"].create([{
            "name": name, "product_id": service.id, "capacity": capacity,
            "instructor_ids": [Command.set(staff.ids)]}
            for name, capacity in (("Race A", CLIENTS), ("Race B", 2))])
        meeting = groups[1]._plan_weekly_meetings(start, 1)
        groups[0]._plan_weekly_meetings(start + timedelta(days=1), 1)
        env["clinic.course.enrollment"].create(
            [{"partner_id": clients[0].id, "course_id": groups[1].id}]
            + [{"partner_id": client.id, "course_id": groups[0].id} for client in clients[1:]])
        return old, groups.ids, meeting.id, staff.id, clients.ids

    def _remove_course(self, env, old, group_ids, staff_id, client_ids):
        env["clinic.course"].browse(group_ids).unlink()
        users = env["res.users"].browse(staff_id) | env["res.partner"].browse(client_ids).user_ids
        for user in users:
            user.write({"login": f"race_done_{user.id}", "active": False})
        env.company.write(old)

    def test_the_last_free_seat_goes_to_one_of_the_clients_racing_for_it(self):
        old, group_ids, meeting_id, staff_id, client_ids = self._committed(self._prepare_course)
        self.addCleanup(self._committed, lambda env: self._remove_course(
            env, old, group_ids, staff_id, client_ids))
        barrier = threading.Barrier(CLIENTS)
        outcomes, reasons = [], []

        def book(client_id):
            try:
                with self.registry.cursor() as cr:
                    cr.transaction = Transaction(self.registry)
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    enrollment = env["clinic.course.enrollment"].search(
                        [("partner_id", "=", client_id)])
                    policy = env.company._clinic_portal_policy()
                    barrier.wait(timeout=60)
                    env["clinic.booking.engine"]._book(enrollment._makeup_request(
                        env["calendar.event"].browse(meeting_id), policy))
                outcomes.append("seated")
            except UserError as exc:
                outcomes.append("refused")
                reasons.append(str(exc))

        threads = [threading.Thread(target=book, args=(client_id,))
                   for client_id in client_ids[1:]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(sorted(outcomes), ["refused"] * (CLIENTS - 1) + ["seated"], reasons)
        self.assertEqual(set(reasons), {"This meeting is full. Please choose another."})
        taken = self._committed(lambda env: env["calendar.event"].browse(
            meeting_id).clinic_seats_taken)
        self.assertEqual(taken, 2)
