from datetime import timedelta

from odoo.tests import TransactionCase, freeze_time, tagged

from .. import const
from .booking_common import NOW, BookingSetup, utc


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestBusyTimes(BookingSetup, TransactionCase):
    """Each attendance keeps the time it takes from its partner's calendar; the booking pages
    read it there. Whatever happens to an appointment, the offered times follow."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)

    def _offered(self, start):
        return start in self._slots()[self.staff.id]

    def test_an_appointment_takes_its_time_where_it_is_moved(self):
        nine, eleven = utc(2026, 3, 3, 9), utc(2026, 3, 3, 11)
        event = self._event(self.staff, nine)
        self.assertFalse(self._offered(nine))
        event.write({"start": eleven.replace(tzinfo=None),
                     "stop": (eleven + timedelta(hours=1)).replace(tzinfo=None)})
        self.assertTrue(self._offered(nine))
        self.assertFalse(self._offered(eleven))

    def test_a_longer_appointment_takes_the_next_hour_too(self):
        nine, ten = utc(2026, 3, 3, 9), utc(2026, 3, 3, 10)
        event = self._event(self.staff, nine)
        self.assertTrue(self._offered(ten))
        event.duration = 2.0  # the stop follows the duration
        self.assertFalse(self._offered(ten))

    def test_time_is_given_back_when_the_appointment_no_longer_takes_it(self):
        nine = utc(2026, 3, 3, 9)
        for release in (
                lambda event: event.attendee_ids.filtered(
                    lambda a: a.partner_id == self.staff.partner_id).do_decline(),
                lambda event: event.action_archive(),
                lambda event: event.write({"show_as": "free"}),
                lambda event: event.unlink()):
            event = self._event(self.staff, nine)
            self.assertFalse(self._offered(nine))
            release(event)
            self.assertTrue(self._offered(nine))

    def test_an_all_day_event_takes_the_whole_day(self):
        self._event(self.staff, utc(2026, 3, 4, 0), allday=True,
                    start_date="2026-03-04", stop_date="2026-03-04")
        days = {start.date() for start in self._slots()[self.staff.id]}
        self.assertIn(utc(2026, 3, 3).date(), days)
        self.assertNotIn(utc(2026, 3, 4).date(), days)
        self.assertIn(utc(2026, 3, 5).date(), days)

    def test_a_held_appointment_takes_its_time_only_until_its_hold_expires(self):
        nine = utc(2026, 3, 3, 9)
        self._event(self.staff, nine, clinic_payment_state=const.PAYMENT_AWAITING,
                    clinic_hold_expiry=NOW + timedelta(minutes=15))
        self.assertFalse(self._offered(nine))
        with freeze_time(NOW + timedelta(minutes=16)):
            self.assertTrue(self._offered(nine))

    def test_the_patients_own_appointment_with_another_clinic_is_not_offered(self):
        nine = utc(2026, 3, 3, 9)
        self._event(self.staff2, nine, partners=self.patient)
        self.assertFalse(self._offered(nine))
