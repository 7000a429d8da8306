from datetime import timedelta
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, freeze_time, tagged

from ..const import LOCK_PATIENT, LOCK_STAFF
from ..models.clinic_booking_engine import ClinicSlotTaken
from .booking_common import NOW, BookingSetup, utc


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestBookingRules(BookingSetup, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)

    def _settings(self, **values):
        self.company.sudo().write({f"clinic_portal_{k}": v for k, v in values.items()})

    # --- availability -------------------------------------------------------------------
    def test_free_time_is_working_hours_after_the_minimum_notice(self):
        tuesday = self._slots()[self.staff.id][:8]
        # now + 24 h = Tuesday 06:00: Tuesday's hours, hourly, lunch excluded
        self.assertEqual(tuesday, [utc(2026, 3, 3, h) for h in (8, 9, 10, 11, 13, 14, 15, 16)])

    def test_weekends_and_days_outside_the_window_have_no_slot(self):
        starts = self._slots()[self.staff.id]
        self.assertFalse([s for s in starts if s.weekday() >= 5])
        self.assertLess(max(starts), utc(2026, 4, 1))

    def test_busy_events_take_their_time_but_declined_ones_do_not(self):
        self._event(self.staff, utc(2026, 3, 3, 9))
        declined = self._event(self.staff, utc(2026, 3, 3, 14))
        declined.attendee_ids.filtered(
            lambda a: a.partner_id == self.staff.partner_id).state = "declined"
        tuesday = [s for s in self._slots()[self.staff.id] if s.day == 3]
        self.assertNotIn(utc(2026, 3, 3, 9), tuesday)
        self.assertIn(utc(2026, 3, 3, 14), tuesday)

    def test_leaves_take_their_time(self):
        self.env["resource.calendar.leaves"].create({
            "name": "Training", "resource_id": self.staff.resource_ids.id,
            "calendar_id": self.hours.id, "date_from": "2026-03-03 00:00:00",
            "date_to": "2026-03-03 23:59:59"})
        self.assertFalse([s for s in self._slots()[self.staff.id] if s.day == 3])

    def test_prevent_gaps_offers_only_slots_next_to_appointments_or_period_bounds(self):
        self._settings(prevent_gaps=True)
        self._event(self.staff, utc(2026, 3, 3, 10))
        tuesday = [s for s in self._slots()[self.staff.id] if s.day == 3]
        self.assertEqual(tuesday, [utc(2026, 3, 3, h) for h in (8, 9, 11, 13, 16)])
        with self.assertRaisesRegex(UserError, "not offered"):
            self._book(utc(2026, 3, 3, 14))

    def test_staff_in_another_time_zone_works_their_local_hours(self):
        jerusalem = self._make_calendar(self.env, "Jerusalem hours", tz="Asia/Jerusalem")
        staff = self._make_staff(self.env, "tz_staff", "TZ Staff", calendar=jerusalem,
                                 tz="Asia/Jerusalem")
        self.service.product_tmpl_id.clinic_staff_user_ids |= staff
        first = self._slots(staff=staff)[staff.id][0]
        self.assertEqual(first, utc(2026, 3, 3, 6))  # 08:00 in Jerusalem (UTC+2)

    # --- booking ------------------------------------------------------------------------
    def test_booking_creates_a_calendar_event_for_patient_and_staff(self):
        event = self._book(utc(2026, 3, 3, 9))
        self.assertEqual(event.partner_ids, self.patient | self.staff.partner_id)
        self.assertEqual(event.user_id, self.staff)
        self.assertEqual((event.start, event.stop), (utc(2026, 3, 3, 9).replace(tzinfo=None),
                                                     utc(2026, 3, 3, 10).replace(tzinfo=None)))
        self.assertEqual(event.clinic_patient_id, self.patient)
        self.assertEqual(event.clinic_product_id, self.service)
        self.assertTrue(event.clinic_portal_booked)
        self.assertIn("Booked by Booking Patient", event.message_ids[0].body)
        self.assertIn(self.staff.partner_id, event.message_ids[0].partner_ids)
        self.assertNotIn(utc(2026, 3, 3, 9), self._slots()[self.staff.id])

    def test_booking_sends_the_calendar_invitation(self):
        event = self._book(utc(2026, 3, 3, 9))
        mails = self.env["mail.mail"].sudo().search([("model", "=", "calendar.event"),
                                                      ("res_id", "=", event.id)])
        self.assertIn(self.patient, mails.recipient_ids)

    def test_any_available_staff_takes_a_free_one(self):
        self._event(self.staff, utc(2026, 3, 3, 9))
        event = self._book(utc(2026, 3, 3, 9), staff=self.env["res.users"])
        self.assertEqual(event.user_id, self.staff2)

    def test_an_overlapping_time_is_refused_as_just_taken(self):
        self._book(utc(2026, 3, 3, 9), partner=self.other)
        with self.assertRaisesRegex(ClinicSlotTaken, "just taken"):
            self._book(utc(2026, 3, 3, 9, 30))
        self.assertFalse(self.env["calendar.event"].search(
            [("clinic_patient_id", "=", self.patient.id)]))

    def test_parallel_appointments_allowed_when_the_setting_is_off(self):
        self._settings(prevent_parallel=False)
        self._book(utc(2026, 3, 3, 9), partner=self.other)
        self.assertIn(utc(2026, 3, 3, 9), self._slots()[self.staff.id])
        self.assertTrue(self._book(utc(2026, 3, 3, 9)))

    def test_a_patient_never_gets_two_overlapping_appointments(self):
        self._book(utc(2026, 3, 3, 9), staff=self.staff2)
        self.assertNotIn(utc(2026, 3, 3, 9), self._slots()[self.staff.id])
        with self.assertRaisesRegex(ClinicSlotTaken, "just taken"):
            self._book(utc(2026, 3, 3, 9))

    def test_minimum_notice_is_refused(self):
        with self.assertRaisesRegex(UserError, "at least 24 hours in advance"):
            self._book(utc(2026, 3, 3, 5))

    def test_times_outside_the_window_are_refused(self):
        self._settings(search_start_days=2)
        with self.assertRaisesRegex(UserError, "outside the days open"):
            self._book(utc(2026, 3, 3, 9))
        with self.assertRaisesRegex(UserError, "outside the days open"):
            self._book(utc(2027, 6, 1, 9))
        with self.assertRaisesRegex(UserError, "Choose a time"):
            self._book(utc(2026, 3, 5, 9, 0, 30))

    def test_starts_off_the_grid_are_refused_though_free(self):
        # Prevent gaps off: a free 09:07 was booked; only the grid's starts are accepted.
        with self.assertRaisesRegex(UserError, "not offered"):
            self._book(utc(2026, 3, 3, 9, 7))
        self.assertTrue(self._book(utc(2026, 3, 3, 9)))

    def test_the_default_grid_is_fifteen_minutes_from_the_working_period(self):
        self._settings(slot_step=15)
        tuesday = [s for s in self._slots()[self.staff.id] if s.day == 3]
        self.assertEqual(tuesday[:3], [utc(2026, 3, 3, 8), utc(2026, 3, 3, 8, 15),
                                       utc(2026, 3, 3, 8, 30)])
        self.assertTrue(self._book(utc(2026, 3, 3, 9, 45)))
        with self.assertRaisesRegex(UserError, "not offered"):
            self._book(utc(2026, 3, 4, 9, 7))

    def test_the_booking_horizon_is_days_to_start_plus_range(self):
        self._settings(search_start_days=2, search_range_days=10)
        starts = self._slots()[self.staff.id]
        self.assertEqual(min(starts).date(), utc(2026, 3, 4).date())
        # 2 March + 2 + 10 days: 14 March is the first day beyond the horizon.
        with self.assertRaisesRegex(UserError, "outside the days open"):
            self._book(utc(2026, 3, 16, 9))
        self.assertTrue(self._book(utc(2026, 3, 13, 9)))

    def test_times_outside_working_hours_are_not_offered(self):
        with self.assertRaisesRegex(UserError, "not offered"):
            self._book(utc(2026, 3, 3, 12))
        with self.assertRaisesRegex(UserError, "not offered"):
            self._book(utc(2026, 3, 7, 9))

    def test_future_limit_per_staff_calendar(self):
        self._settings(future_limit=1, future_limit_scope="calendar")
        self._book(utc(2026, 3, 3, 9))
        self.assertEqual(self._slots()[self.staff.id], [])
        with self.assertRaisesRegex(UserError, "with this staff member"):
            self._book(utc(2026, 3, 4, 9))
        self.assertTrue(self._book(utc(2026, 3, 4, 9), staff=self.staff2))

    def test_future_limit_global(self):
        self._settings(future_limit=1, future_limit_scope="global")
        self._book(utc(2026, 3, 3, 9))
        with self.assertRaisesRegex(UserError, "1 upcoming appointments"):
            self._book(utc(2026, 3, 4, 9), staff=self.staff2)

    def test_hidden_service_is_refused(self):
        hidden = self._make_service(self.env, "Hidden", 30, self.staff)
        hidden.product_tmpl_id.clinic_portal_visible = False
        with self.assertRaisesRegex(UserError, "cannot be booked in the client portal"):
            self._book(utc(2026, 3, 3, 9), product=hidden)

    def test_staff_not_allowed_for_the_service_or_not_bookable_is_refused(self):
        other_staff = self._make_staff(self.env, "other_staff", "Other Staff")
        with self.assertRaisesRegex(UserError, "cannot be booked for this service"):
            self._book(utc(2026, 3, 3, 9), staff=other_staff)
        self.staff.clinic_portal_bookable = False
        with self.assertRaisesRegex(UserError, "cannot be booked for this service"):
            self._book(utc(2026, 3, 3, 9))

    def test_only_the_treating_team_when_the_setting_is_on(self):
        self._settings(treating_team_only=True)
        self.patient.clinic_treating_user_ids = self.staff2
        self.assertEqual(self.env["clinic.availability.engine"]._staff(
            self.patient, self.service, self._policy()), self.staff2)
        with self.assertRaisesRegex(UserError, "cannot be booked for this service"):
            self._book(utc(2026, 3, 3, 9))

    def test_portal_closed_or_self_scheduling_off_refuses_booking(self):
        self._settings(self_scheduling=False)
        with self.assertRaisesRegex(UserError, "not available"):
            self._book(utc(2026, 3, 3, 9))
        self._settings(enabled=False, self_scheduling=True)
        with self.assertRaisesRegex(UserError, "closed"):
            self._book(utc(2026, 3, 3, 9))

    def test_a_card_guarantee_is_refused_while_no_payment_provider_can_save_a_card(self):
        guaranteed = self._make_service(self.env, "Guaranteed", 30, self.staff, list_price=100.0,
                                        clinic_card_guarantee_required=True)
        self.assertEqual(guaranteed._clinic_portal_offer(self.patient)["payment"], "guarantee")
        self.env["payment.provider"].search([]).write({"state": "disabled"})
        with self.assertRaisesRegex(UserError, "needs a payment at booking"):
            self._book(utc(2026, 3, 3, 9), product=guaranteed)
        self.assertFalse(self.env["calendar.event"].search(
            [("clinic_product_id", "=", guaranteed.id)]))

    def test_a_prepayment_is_refused_while_no_payment_provider_can_take_it(self):
        paid = self._make_service(self.env, "Paid", 30, self.staff, list_price=100.0,
                                  clinic_prepayment_required=True)
        self.env["payment.provider"].search([]).write({"state": "disabled"})
        with self.assertRaisesRegex(UserError, "needs a payment at booking"):
            self._book(utc(2026, 3, 3, 9), product=paid)
        self.assertFalse(self.env["calendar.event"].search([("clinic_product_id", "=", paid.id)]))

    def test_blockers_of_the_patient_refuse_booking(self):
        partner_class = type(self.env["res.partner"])
        with patch.object(partner_class, "_clinic_booking_blockers",
                          lambda self, product: ["Fill the health questionnaire first."]), \
                self.assertRaisesRegex(UserError, "health questionnaire"):
            self._book(utc(2026, 3, 3, 9))

    def test_booking_holds_the_staff_and_patient_locks_until_commit(self):
        self._book(utc(2026, 3, 3, 9))
        self.env.cr.execute("""
            SELECT classid, objid FROM pg_locks
             WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
        """)
        self.assertLessEqual({(LOCK_STAFF, self.staff.id), (LOCK_PATIENT, self.patient.id)},
                             set(self.env.cr.fetchall()))

    # --- reschedule and cancel ------------------------------------------------------------
    def test_reschedule_moves_the_same_event(self):
        event = self._book(utc(2026, 3, 4, 9))
        moved = self._reschedule(event, utc(2026, 3, 5, 14))
        self.assertEqual(moved, event)
        self.assertEqual(event.start, utc(2026, 3, 5, 14).replace(tzinfo=None))
        self.assertEqual(event.stop - event.start, timedelta(hours=1))
        self.assertIn("Rescheduled by Booking Patient", event.message_ids[0].body)

    def test_reschedule_to_an_overlapping_time_is_refused(self):
        event = self._book(utc(2026, 3, 4, 9))
        self._event(self.staff, utc(2026, 3, 5, 14))
        with self.assertRaisesRegex(ClinicSlotTaken, "just taken"):
            self._reschedule(event, utc(2026, 3, 5, 14, 30))
        self.assertEqual(event.start, utc(2026, 3, 4, 9).replace(tzinfo=None))

    def test_reschedule_may_overlap_the_appointment_itself(self):
        self._settings(slot_step=30)
        event = self._book(utc(2026, 3, 4, 9))
        self._reschedule(event, utc(2026, 3, 4, 9, 30))
        self.assertEqual(event.start, utc(2026, 3, 4, 9, 30).replace(tzinfo=None))

    def test_changes_inside_the_minimum_hours_are_refused_with_the_clinic_phone(self):
        event = self._book(utc(2026, 3, 3, 9))
        self._settings(min_hours_change=48)
        with self.assertRaisesRegex(UserError, r"48 hours.*\+972 3 555 0100"):
            self._reschedule(event, utc(2026, 3, 5, 9))
        with self.assertRaisesRegex(UserError, r"48 hours.*\+972 3 555 0100"):
            self._cancel(event, "ill")
        self.assertTrue(event.active)

    def test_reschedule_and_cancel_when_not_allowed_are_refused(self):
        event = self._book(utc(2026, 3, 4, 9))
        self._settings(allow_reschedule=False, allow_cancel=False)
        with self.assertRaisesRegex(UserError, "cannot be rescheduled"):
            self._reschedule(event, utc(2026, 3, 5, 9))
        with self.assertRaisesRegex(UserError, "cannot be cancelled"):
            self._cancel(event)

    def test_rescheduling_refuses_a_service_no_longer_offered_or_staff_no_longer_bookable(self):
        event = self._book(utc(2026, 3, 4, 9))
        self.service.product_tmpl_id.clinic_portal_visible = False
        with self.assertRaisesRegex(UserError, "service is no longer booked"):
            self._reschedule(event, utc(2026, 3, 5, 9))
        self.service.product_tmpl_id.clinic_portal_visible = True
        self.staff.clinic_portal_bookable = False
        with self.assertRaisesRegex(UserError, "staff member can no longer be booked"):
            self._reschedule(event, utc(2026, 3, 5, 9))
        self.assertEqual(event.start, utc(2026, 3, 4, 9).replace(tzinfo=None))

    def test_cancel_archives_the_event_and_tells_the_staff_why(self):
        event = self._book(utc(2026, 3, 4, 9))
        self._cancel(event, "Feeling better")
        self.assertFalse(event.active)
        self.assertEqual(event.clinic_cancel_reason, "Feeling better")
        self.assertEqual(event.clinic_portal_status, "cancelled")
        note = event.message_ids.filtered(lambda m: "Cancelled by" in (m.body or ""))
        self.assertIn("Feeling better", note.body)
        self.assertIn(utc(2026, 3, 4, 9), self._slots()[self.staff.id])
