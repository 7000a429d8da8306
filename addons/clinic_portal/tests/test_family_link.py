from datetime import date

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from .. import const
from .common import ClinicPortalCase

TODAY = date(2026, 6, 15)


@tagged("post_install", "-at_install")
@freeze_time("2026-06-15 10:00:00")
class TestFamilyLink(ClinicPortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.clinic_portal_enabled = True
        cls.parent = cls.env["res.partner"].create({
            "name": "Miriam Cohen", "email": "miriam@example.com",
            "clinic_birthdate": date(1984, 3, 2), "company_id": cls.company.id})
        cls.child = cls.client("Noa Cohen", date(2014, 9, 1))
        # The front desk, who keep the contacts, not clinic administrators.
        cls.front_desk = new_test_user(
            cls.env, login="family_front_desk", name="Front Desk",
            groups="clinic_portal.group_clinic_front_desk", company_id=cls.company.id)

    @classmethod
    def client(cls, name, birthdate, **values):
        return cls.env["res.partner"].create({
            "name": name, "clinic_birthdate": birthdate, "company_id": cls.company.id,
            **values})

    def link(self, patient, **values):
        return self.env["clinic.family.link"].create({
            "guardian_id": self.parent.id, "patient_id": patient.id, **values})

    def consent(self, patient):
        return self.link(patient, kind=const.FAMILY_CONSENT, consent_date=TODAY)

    def notes(self, partner):
        return partner.message_ids.filtered(lambda message: message.subtype_id == self.env.ref(
            "mail.mt_note")).mapped("body")

    # ------------------------------------------------------------------------------------
    # Who acts for whom, and until when
    # ------------------------------------------------------------------------------------
    def test_a_parent_acts_for_their_child_until_the_18th_birthday_and_not_on_it(self):
        teen = self.client("Yoav Cohen", date(2008, 6, 16))
        self.link(teen, date_start=date(2015, 1, 1))
        self.assertIn(teen, self.parent._clinic_family())
        with freeze_time("2026-06-16 10:00:00"):
            self.assertNotIn(teen, self.parent._clinic_family())

    def test_an_adult_linked_with_their_consent_stays_in_force(self):
        grandfather = self.client("Avraham Cohen", date(1940, 5, 5))
        link = self.consent(grandfather)
        self.assertTrue(link.in_force)
        with freeze_time("2040-01-01 10:00:00"):
            self.assertIn(grandfather, self.parent._clinic_family())

    def test_an_adults_link_without_the_date_of_their_consent_is_refused(self):
        grandfather = self.client("Avraham Cohen", date(1940, 5, 5))
        with self.assertRaisesRegex(ValidationError, "consented"):
            self.link(grandfather, kind=const.FAMILY_CONSENT)

    def test_a_client_cannot_act_for_themselves(self):
        with self.assertRaisesRegex(ValidationError, "themselves"):
            self.consent(self.parent)

    def test_a_child_link_to_someone_18_or_older_is_refused(self):
        turning_18_today = self.client("Yoav Cohen", date(2008, 6, 15))
        with self.assertRaisesRegex(ValidationError, "not a child"):
            self.link(turning_18_today)

    def test_a_child_link_needs_the_childs_date_of_birth(self):
        unknown_age = self.client("Tamar Cohen", False)
        with self.assertRaisesRegex(ValidationError, "date of birth"):
            self.link(unknown_age)

    def test_one_open_link_between_the_same_two_clients(self):
        first = self.link(self.child)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), \
                self.cr.savepoint():
            self.link(self.child)
        first.action_end()
        self.assertTrue(self.link(self.child).in_force, "an ended link is history, not a block")

    # ------------------------------------------------------------------------------------
    # Coming of age
    # ------------------------------------------------------------------------------------
    def test_the_cron_ends_a_childs_link_on_their_18th_birthday_with_a_note(self):
        teen = self.client("Yoav Cohen", date(2008, 6, 16))
        link = self.link(teen, date_start=date(2015, 1, 1))
        self.env["clinic.family.link"]._cron_end_at_adulthood()
        self.assertFalse(link.date_end, "the day before their birthday they are still a child")
        with freeze_time("2026-06-16 10:00:00"):
            self.env["clinic.family.link"]._cron_end_at_adulthood()
        self.assertEqual((link.date_end, link.end_reason),
                         (date(2026, 6, 16), const.FAMILY_END_ADULT))
        for partner in (self.parent, teen):
            with self.subTest(partner=partner.name):
                self.assertIn("Miriam Cohen no longer acts for Yoav Cohen: Came of age.",
                              self.notes(partner)[0])

    def test_born_on_29_february_a_child_comes_of_age_on_28_february_of_a_common_year(self):
        leapling = self.client("Shira Cohen", date(2008, 2, 29))
        link = self.link(leapling, date_start=date(2015, 1, 1))
        with freeze_time("2026-02-27 10:00:00"):
            self.assertIn(leapling, self.parent._clinic_family())
        with freeze_time("2026-02-28 10:00:00"):
            self.assertNotIn(leapling, self.parent._clinic_family())
            self.env["clinic.family.link"]._cron_end_at_adulthood()
        self.assertEqual(link.date_end, date(2026, 2, 28))

    def test_the_cron_leaves_a_link_the_child_confirmed(self):
        teen = self.client("Yoav Cohen", date(2008, 7, 1))
        link = self.link(teen, date_start=date(2015, 1, 1))
        link._confirm_by_adult()
        with freeze_time("2026-07-01 10:00:00"):
            self.env["clinic.family.link"]._cron_end_at_adulthood()
            self.assertIn(teen, self.parent._clinic_family())
        self.assertFalse(link.date_end)
        self.assertEqual((link.kind, link.consent_date), (const.FAMILY_CONSENT, TODAY))

    def test_a_child_may_keep_the_link_from_30_days_before_their_18th_birthday(self):
        teen = self.client("Yoav Cohen", date(2008, 7, 16))
        link = self.link(teen, date_start=date(2015, 1, 1))
        with self.assertRaisesRegex(UserError, "cannot be confirmed"):
            link._confirm_by_adult()
        with freeze_time("2026-06-16 10:00:00"):
            link._confirm_by_adult()
        self.assertEqual(link.kind, const.FAMILY_CONSENT)
        self.assertIn("Yoav Cohen, now an adult, let Miriam Cohen go on acting for them.",
                      self.notes(teen)[0])

    def test_a_link_ended_as_the_child_came_of_age_is_restored_when_they_keep_it(self):
        teen = self.client("Yoav Cohen", date(2008, 6, 1))
        link = self.link(teen, date_start=date(2015, 1, 1))
        self.env["clinic.family.link"]._cron_end_at_adulthood()
        self.assertNotIn(teen, self.parent._clinic_family())
        link._confirm_by_adult()
        self.assertEqual((link.date_end, link.end_reason, link.kind),
                         (False, False, const.FAMILY_CONSENT))
        self.assertIn(teen, self.parent._clinic_family())

    def test_a_link_the_family_member_or_the_clinic_ended_is_never_restored(self):
        for reason in (const.FAMILY_END_PATIENT, const.FAMILY_END_STAFF):
            with self.subTest(reason=reason):
                teen = self.client(f"Teen {reason}", date(2008, 7, 1))
                link = self.link(teen, date_start=date(2015, 1, 1))
                link._end(reason)
                with self.assertRaisesRegex(UserError, "cannot be confirmed"):
                    link._confirm_by_adult()
                self.assertEqual(link.end_reason, reason)

    # ------------------------------------------------------------------------------------
    # Staff on the contact form
    # ------------------------------------------------------------------------------------
    def test_ending_a_link_stops_access_at_once(self):
        link = self.link(self.child)
        link.with_user(self.staff).action_end()
        self.assertEqual((link.date_end, link.end_reason), (TODAY, const.FAMILY_END_STAFF))
        self.assertFalse(link.in_force)
        self.assertNotIn(self.child, self.parent._clinic_family())
        self.assertIn("Miriam Cohen no longer acts for Noa Cohen: Ended by the clinic.",
                      self.notes(self.child)[0])

    def test_staff_link_a_child_and_end_the_link_from_the_parents_form(self):
        with Form(self.parent.with_user(self.front_desk)) as form, \
                form.clinic_dependant_link_ids.new() as row:
            row.patient_id = self.child
        link = self.parent.clinic_dependant_link_ids
        self.assertEqual((link.guardian_id, link.patient_id, link.kind, link.date_start),
                         (self.parent, self.child, const.FAMILY_MINOR, TODAY))
        self.assertIn(self.child, self.parent._clinic_family())
        link.with_user(self.front_desk).action_end()
        self.assertNotIn(self.child, self.parent._clinic_family())

    def test_staff_register_a_new_child_with_their_parent_in_one_go(self):
        with Form(self.env["res.partner"].with_user(self.front_desk)) as form:
            form.name = "Ella Cohen"
            form.clinic_birthdate = date(2019, 2, 3)
            with form.clinic_guardian_link_ids.new() as row:
                row.guardian_id = self.parent
        ella = form.record
        self.assertEqual(ella.clinic_guardian_link_ids.guardian_id, self.parent)
        self.assertEqual(self.parent._clinic_dependants(), ella)

    def test_staff_record_an_adults_consent_on_their_form(self):
        grandfather = self.client("Avraham Cohen", date(1940, 5, 5))
        with Form(grandfather.with_user(self.front_desk)) as form, \
                form.clinic_guardian_link_ids.new() as row:
            row.guardian_id = self.parent
            row.kind = const.FAMILY_CONSENT
            row.consent_date = date(2026, 6, 1)
        self.assertEqual(grandfather.clinic_guardian_link_ids.guardian_id, self.parent)
        self.assertIn(grandfather, self.parent._clinic_family())

    # ------------------------------------------------------------------------------------
    # Who gets the mails
    # ------------------------------------------------------------------------------------
    def test_a_childs_mails_go_to_their_parent(self):
        self.child.email = "noa@example.com"
        self.link(self.child)
        self.assertEqual(self.child._clinic_mail_recipient(), self.parent)

    def test_an_adult_with_an_email_gets_their_own_mails(self):
        grandfather = self.client("Avraham Cohen", date(1940, 5, 5),
                                  email="avraham@example.com")
        self.consent(grandfather)
        self.assertEqual(grandfather._clinic_mail_recipient(), grandfather)

    def test_an_adult_without_an_email_is_written_to_through_who_acts_for_them(self):
        grandfather = self.client("Avraham Cohen", date(1940, 5, 5))
        self.consent(grandfather)
        self.assertEqual(grandfather._clinic_mail_recipient(), self.parent)
