from datetime import date, timedelta

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, freeze_time, tagged
from odoo.tools import mute_logger

from ..const import LOCK_PATIENT, LOCK_PLAN_LINE, LOCK_STAFF
from ..models.clinic_booking_engine import ClinicSlotTaken
from .booking_common import NOW, utc
from .plan_common import PlanSetup


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestTreatmentPlan(PlanSetup, TransactionCase):
    """Sessions of a treatment plan: counted, booked with every portal rule, never over-booked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_plan(cls.env, date_start=date(2026, 3, 1))

    def _settings(self, **values):
        self.company.sudo().write({f"clinic_portal_{k}": v for k, v in values.items()})

    def _past_session(self, day, **values):
        """A session the staff booked that is over (the portal books only future ones)."""
        return self._event(self.staff, utc(2026, 2, day, 9), hours=0.5, partners=self.patient,
                           clinic_patient_id=self.patient.id,
                           clinic_product_id=self.physio.id,
                           clinic_plan_line_id=self.line.id, **values)

    # --- the plan -------------------------------------------------------------------------
    def test_a_plan_gets_its_reference_and_goes_through_its_states(self):
        self.assertTrue(self.plan.name.startswith("TP/"))
        self.assertEqual(self.plan.state, "active")
        self.assertEqual(self.plan.company_id, self.company)
        with self.assertRaises(UserError):
            self.plan.action_draft()
        self.plan.action_done()
        self.assertEqual(self.plan.state, "done")
        with self.assertRaises(UserError):
            self.plan.action_cancel()

    def test_a_plan_without_sessions_cannot_be_activated(self):
        plan = self.env["clinic.treatment.plan"].create({"partner_id": self.patient.id})
        with self.assertRaisesRegex(UserError, "Add the sessions"):
            plan.action_activate()

    def test_a_line_has_at_least_one_session_and_never_fewer_than_booked(self):
        self._book_session(utc(2026, 3, 3, 9))
        self._book_session(utc(2026, 3, 3, 10))
        with self.assertRaises(ValidationError):
            self.line.sessions = 1
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), \
                self.cr.savepoint():
            self._make_plan(self.env, self.patient, self.physio, 0).flush_recordset()

    def test_the_contact_counts_its_plans(self):
        self.assertEqual(self.patient.clinic_plan_count, 1)
        action = self.patient.action_clinic_view_plans()
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), self.plan)

    def test_the_plan_prints_its_sessions(self):
        self._book_session(utc(2026, 3, 3, 9))
        html = self.env["ir.actions.report"]._render_qweb_html(
            "clinic_portal.clinic_treatment_plan_report", self.plan.ids)[0].decode()
        self.assertIn(self.plan.name, html)
        self.assertIn("Physiotherapy", html)

    # --- counts -----------------------------------------------------------------------------
    def test_sessions_booked_done_and_left(self):
        self._past_session(23)
        self._book_session(utc(2026, 3, 3, 9))
        self.assertEqual((self.line.sessions_booked, self.line.sessions_done,
                          self.line.sessions_left), (2, 1, 8))
        self.assertEqual(self.plan.sessions_left, 8)

    def test_a_cancelled_appointment_gives_its_session_back(self):
        event = self._book_session(utc(2026, 3, 4, 9))
        self.assertEqual(self.line.sessions_left, 9)
        self._cancel(event)
        self.line.invalidate_recordset()
        self.assertEqual(self.line.sessions_left, 10)

    def test_a_no_show_keeps_its_session_unless_the_staff_give_it_back(self):
        missed = self._past_session(24)
        missed.action_clinic_mark_no_show()
        self.assertEqual((self.line.sessions_booked, self.line.sessions_done,
                          self.line.sessions_left), (1, 0, 9))
        missed.action_clinic_give_session_back()
        self.line.invalidate_recordset()
        self.assertEqual((self.line.sessions_booked, self.line.sessions_left), (0, 10))

    def test_only_a_session_of_a_plan_can_be_given_back(self):
        event = self._event(self.staff, utc(2026, 3, 3, 9), partners=self.patient)
        with self.assertRaises(UserError):
            event.action_clinic_give_session_back()

    def test_a_session_of_another_patients_plan_is_refused_by_the_appointment(self):
        with self.assertRaises(ValidationError):
            self._event(self.staff, utc(2026, 3, 3, 9), partners=self.other,
                        clinic_patient_id=self.other.id, clinic_plan_line_id=self.line.id)

    # --- booking ----------------------------------------------------------------------------
    def test_a_session_is_booked_for_the_line_service_and_duration_without_payment(self):
        # A prepaid service of the price list: a session of the plan still pays nothing.
        self.physio.write({"list_price": 100.0, "clinic_prepayment_required": True,
                           "clinic_portal_visible": True})
        event = self._book_session(utc(2026, 3, 3, 9))
        self.assertEqual(event.clinic_plan_line_id, self.line)
        self.assertEqual(event.clinic_product_id, self.physio)
        self.assertEqual(event.stop - event.start, timedelta(minutes=30))
        self.assertFalse(event.clinic_payment_state)
        self.assertFalse(event.clinic_invoice_id)
        self.assertTrue(event.active)
        self.assertEqual(event._clinic_plan_session_label(),
                         f"Session 1 of 10 — {self.plan.name}")

    def test_the_session_number_is_the_rank_by_start(self):
        later = self._book_session(utc(2026, 3, 5, 9))
        earlier = self._book_session(utc(2026, 3, 3, 9))
        self.assertEqual(earlier._clinic_plan_session_number(), 1)
        self.assertEqual(later._clinic_plan_session_number(), 2)
        self._cancel(earlier)
        self.assertEqual(later._clinic_plan_session_number(), 1)
        self.assertEqual(earlier._clinic_plan_session_label(), f"Treatment plan {self.plan.name}")

    def test_no_session_left_is_refused(self):
        plan = self._make_plan(self.env, self.patient, self.physio, 1, date_start=date(2026, 3, 1))
        self._book_session(utc(2026, 3, 3, 9), line=plan.line_ids)
        with self.assertRaisesRegex(UserError, "Every session"):
            self._book_session(utc(2026, 3, 4, 9), line=plan.line_ids)
        availability = self.env["clinic.availability.engine"]
        self.assertNotIn(plan.line_ids, availability._plan_lines(self.patient))

    def test_another_patients_line_is_refused_as_unknown(self):
        with self.assertRaisesRegex(UserError, "cannot be booked"):
            self._book_session(utc(2026, 3, 3, 9), partner=self.other)
        availability = self.env["clinic.availability.engine"]
        self.assertFalse(availability._plan_line(self.other, self.line.id))

    def test_a_plan_not_active_or_outside_its_validity_is_not_offered(self):
        availability = self.env["clinic.availability.engine"]
        for values in ({"date_end": date(2026, 3, 1)}, {"date_start": date(2026, 3, 3)}):
            self.plan.write(values)
            self.assertFalse(availability._plan_lines(self.patient), values)
            with self.assertRaisesRegex(UserError, "not open for booking"):
                self._book_session(utc(2026, 3, 3, 9))
            self.plan.write({"date_start": date(2026, 3, 1), "date_end": False})
        self.assertEqual(availability._plan_lines(self.patient), self.line)
        self.plan.action_cancel()
        self.assertFalse(availability._plan_lines(self.patient))
        self.plan.action_draft()
        self.assertFalse(availability._plan_lines(self.patient))

    def test_a_plan_valid_from_the_clinics_today_is_open_to_a_patient_still_on_yesterday(self):
        # 23:30 UTC: already Tuesday at a clinic in Jerusalem, still Monday in Los Angeles.
        self.company.sudo().resource_calendar_id.tz = "Asia/Jerusalem"
        self.patient.tz = "America/Los_Angeles"
        with freeze_time("2026-03-02 23:30:00"):
            plan = self._make_plan(self.env, self.patient, self.physio, 1,
                                   date_start=self.env["clinic.treatment.plan"].default_get(
                                       ["date_start"])["date_start"])
            self.assertEqual(plan.date_start, date(2026, 3, 3))
            self.assertIn(plan.line_ids,
                          self.env["clinic.availability.engine"]._plan_lines(self.patient))
            event = self._book_session(utc(2026, 3, 4, 9), line=plan.line_ids)
        self.assertEqual(event.clinic_plan_line_id, plan.line_ids)

    def test_service_types_choose_between_price_list_and_plan(self):
        availability = self.env["clinic.availability.engine"]
        self._settings(service_types="regular")
        self.assertIn(self.service, [p for p, _o in availability._services(self.patient)])
        self.assertFalse(availability._plan_lines(self.patient))
        with self.assertRaisesRegex(UserError, "not booked in the client portal"):
            self._book_session(utc(2026, 3, 3, 9))
        self._settings(service_types="plan")
        self.assertFalse(availability._services(self.patient))
        self.assertEqual(availability._plan_lines(self.patient), self.line)
        with self.assertRaisesRegex(UserError, "cannot be booked"):
            self._book(utc(2026, 3, 3, 9))
        self._settings(service_types="both")
        self.assertIn(self.service, [p for p, _o in availability._services(self.patient)])
        self.assertEqual(availability._plan_lines(self.patient), self.line)

    def test_restricted_plan_staff_books_only_the_lines_staff(self):
        self.line.staff_user_ids = self.staff2
        availability = self.env["clinic.availability.engine"]
        self.assertEqual(availability._plan_staff(self.patient, self.line, self._policy()),
                         self.staff | self.staff2)
        self._book_session(utc(2026, 3, 3, 9), staff=self.staff)
        self._settings(plan_staff_only=True)
        self.assertEqual(availability._plan_staff(self.patient, self.line, self._policy()),
                         self.staff2)
        with self.assertRaisesRegex(UserError, "staff member cannot be booked"):
            self._book_session(utc(2026, 3, 4, 9), staff=self.staff)
        self.assertEqual(self._book_session(utc(2026, 3, 4, 9), staff=self.staff2).user_id,
                         self.staff2)
        any_staff = self._book_session(utc(2026, 3, 5, 9), staff=self.env["res.users"])
        self.assertEqual(any_staff.user_id, self.staff2)

    def test_the_minimum_notice_applies_to_sessions(self):
        with self.assertRaisesRegex(UserError, "in advance"):
            self._book_session(utc(2026, 3, 2, 14))

    def test_the_future_appointments_limit_counts_sessions(self):
        self._settings(future_limit=1, future_limit_scope="global")
        self._book(utc(2026, 3, 3, 9))
        with self.assertRaisesRegex(UserError, "upcoming appointments"):
            self._book_session(utc(2026, 3, 4, 9))

    def test_sessions_never_overlap_the_staff_or_the_patient(self):
        self._event(self.staff, utc(2026, 3, 3, 9))
        with self.assertRaises(ClinicSlotTaken):
            self._book_session(utc(2026, 3, 3, 9))
        self._book(utc(2026, 3, 4, 9), staff=self.staff2)
        with self.assertRaises(ClinicSlotTaken):
            self._book_session(utc(2026, 3, 4, 9))

    def test_the_treating_team_applies_to_sessions(self):
        self._settings(treating_team_only=True)
        self.patient.clinic_treating_user_ids = self.staff2
        with self.assertRaisesRegex(UserError, "staff member cannot be booked"):
            self._book_session(utc(2026, 3, 3, 9), staff=self.staff)
        self.assertEqual(self._book_session(utc(2026, 3, 3, 9), staff=self.staff2).user_id,
                         self.staff2)

    def test_booking_a_session_holds_the_staff_patient_and_plan_line_locks(self):
        self._book_session(utc(2026, 3, 3, 9))
        self.env.cr.execute("""
            SELECT classid, objid FROM pg_locks
             WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
        """)
        self.assertLessEqual({(LOCK_STAFF, self.staff.id), (LOCK_PATIENT, self.patient.id),
                              (LOCK_PLAN_LINE, self.line.id)}, set(self.env.cr.fetchall()))

    # --- reschedule and cancel ----------------------------------------------------------------
    def test_a_session_is_rescheduled_with_its_line_and_session(self):
        event = self._book_session(utc(2026, 3, 3, 9))
        self._reschedule(event, utc(2026, 3, 5, 10))
        self.assertEqual(event.start, utc(2026, 3, 5, 10).replace(tzinfo=None))
        self.assertEqual(event.clinic_plan_line_id, self.line)
        self.assertEqual(self.line.sessions_left, 9)

    def test_the_last_session_can_be_rescheduled(self):
        plan = self._make_plan(self.env, self.patient, self.physio, 1, date_start=date(2026, 3, 1))
        event = self._book_session(utc(2026, 3, 3, 9), line=plan.line_ids)
        self._reschedule(event, utc(2026, 3, 4, 9))
        self.assertEqual(event.start, utc(2026, 3, 4, 9).replace(tzinfo=None))

    def test_rescheduling_follows_the_plan_and_its_staff(self):
        event = self._book_session(utc(2026, 3, 3, 9))
        self.line.staff_user_ids = self.staff2
        self._settings(plan_staff_only=True)
        with self.assertRaisesRegex(UserError, "can no longer be booked"):
            self._reschedule(event, utc(2026, 3, 5, 10))
        self._settings(plan_staff_only=False)
        self.plan.action_done()
        with self.assertRaisesRegex(UserError, "no longer booked"):
            self._reschedule(event, utc(2026, 3, 5, 10))
