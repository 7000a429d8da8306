from datetime import date
from urllib.parse import parse_qs, urlparse

from dateutil.relativedelta import relativedelta

from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .. import const
from ..controllers.portal import format_start
from .common import require_form
from .guarantee_common import GuaranteeSetup
from .payment_common import PortalPaymentRequests


@tagged("post_install", "-at_install")
class TestFamilyPortal(GuaranteeSetup, PortalPaymentRequests, HttpCase):
    """A parent adds their child, books, fills forms and pays for them from one login; no one
    else's records, and no one else's existence, are ever reachable through a family link."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_guarantee(cls.env)
        cls._open_every_day()
        cls.mother = cls.patient
        cls.mother.write({"email": "mother@example.com", "clinic_birthdate": date(1985, 5, 1)})
        today = date.today()
        cls.child = cls.env["res.partner"].create({
            "name": "Noa Child", "clinic_birthdate": today - relativedelta(years=7),
            "tz": "UTC"})
        cls.link = cls.env["clinic.family.link"].create({
            "guardian_id": cls.mother.id, "patient_id": cls.child.id})
        cls.stranger_child = cls.env["res.partner"].create({
            "name": "Stranger Child", "clinic_birthdate": today - relativedelta(years=6),
            "clinic_national_id": "000000018"})
        cls.env["clinic.family.link"].create({
            "guardian_id": cls.other.id, "patient_id": cls.stranger_child.id})

    def setUp(self):
        super().setUp()
        self.authenticate("booking_patient", "booking_patient")

    def _free_start(self, skip=0, partner=None):
        return self._slots(partner=partner)[self.staff.id][skip]

    def _add_child(self, **values):
        return self.url_open("/my/family/add", data={
            "csrf_token": self._csrf(), "first_name": "Dan", "last_name": "Levi",
            "birthdate": (date.today() - relativedelta(years=5)).isoformat(), **values},
            allow_redirects=False)

    def _book_for(self, patient, start, service=None):
        return self.url_open("/my/appointments/book/confirm", data={
            "csrf_token": self._csrf(), "service": (service or self.service).id,
            "staff": self.staff.id, "start": format_start(start), "patient": patient.id},
            allow_redirects=False)

    # --- adding a child ----------------------------------------------------------------------
    def test_a_parent_adds_a_child_who_becomes_a_client_of_their_own(self):
        response = self._add_child()
        self.assertEqual(response.status_code, 303)
        child_id = int(parse_qs(urlparse(response.headers["Location"]).query)["patient"][0])
        child = self.env["res.partner"].browse(child_id)
        self.assertEqual(child.name, "Dan Levi")
        self.assertEqual(child.clinic_status_id, self.company.clinic_portal_new_client_status_id)
        self.assertFalse(child.user_ids, "a child gets no login of their own")
        self.assertEqual(child._clinic_guardian_links().guardian_id, self.mother)
        page = self.url_open(response.headers["Location"]).text
        self.assertIn("Dan Levi is now in your family", page)
        self.assertIn(f"/my/appointments/book?patient={child.id}", page)

    def test_an_adult_is_not_added_as_a_child(self):
        born = (date.today() - relativedelta(years=30)).isoformat()
        count = self.env["res.partner"].search_count([])
        response = self._add_child(birthdate=born)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Add a child under 18 here", response.text)
        self.assertEqual(self.env["res.partner"].search_count([]), count)

    def test_adding_an_existing_clients_details_reveals_nothing_and_links_nothing(self):
        self.company.clinic_registration_field_ids.filtered(
            lambda field: field.field_name == "national_id").show = True
        unknown = self._add_child(national_id="000000026", first_name="New")
        known = self._add_child(national_id="000000018", first_name="Known")
        # The same answer, and the same page, whether the details are a client's or not.
        self.assertEqual((unknown.status_code, known.status_code), (303, 303))
        pages = [self.url_open(r.headers["Location"]).text for r in (unknown, known)]
        self.assertIn("New Levi is now in your family", pages[0])
        self.assertIn("Known Levi is now in your family", pages[1])
        self.assertNotIn("Stranger", pages[1])
        # The existing client is nobody's but their own parent's; staff have a task.
        self.assertEqual(self.stranger_child._clinic_guardian_links().guardian_id, self.other)
        self.assertNotIn(self.stranger_child, self.mother._clinic_family())
        added = self.mother._clinic_dependants().filtered(lambda child: child.name == "Known Levi")
        self.assertNotEqual(added, self.stranger_child)
        self.assertIn("Stranger Child", added.activity_ids.note)
        self.assertFalse(self.mother._clinic_dependants().filtered(
            lambda child: child.name == "New Levi").activity_ids)

    # --- booking for a child -----------------------------------------------------------------
    def test_a_parent_books_for_their_child_who_is_the_patient(self):
        page = self.url_open(f"/my/appointments/book?patient={self.child.id}").text
        self.assertIn("o_clinic_for_whom", page)
        self.assertRegex(page, rf'btn-primary o_clinic_for_whom_option"[^>]*aria-current="true"'
                               rf'[^>]*data-patient-id="{self.child.id}"')
        self.assertIn(f"service={self.service.id}&amp;patient={self.child.id}", page)
        start = self._free_start()
        confirm = self.url_open(
            f"/my/appointments/book/confirm?service={self.service.id}&staff={self.staff.id}"
            f"&start={format_start(start)}&patient={self.child.id}").text
        self.assertIn("Noa Child", confirm)
        self.assertIn(f'name="patient" value="{self.child.id}"', confirm)
        response = self._book_for(self.child, start)
        self.assertEqual(response.status_code, 303)
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", self.child.id)])
        self.assertEqual(event.start, start.replace(tzinfo=None))
        self.assertEqual(event.clinic_payer_id, self.mother)
        listed = self.url_open("/my/appointments").text
        self.assertRegex(listed, rf'o_clinic_family_member" data-patient-id="{self.child.id}">'
                                 r'\s*<i[^>]*></i>Noa Child')

    def test_the_childs_own_rules_apply_not_the_parents(self):
        starts = self._slots(partner=self.child)[self.staff.id]
        self.company.clinic_portal_future_limit = 1
        self._book(starts[0], partner=self.mother)
        response = self._book_for(self.child, starts[3])
        self.assertEqual(response.status_code, 303, "the mother's limit is not the child's")
        response = self._book_for(self.child, starts[6])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.env["calendar.event"].search_count(
            [("clinic_patient_id", "=", self.child.id)]), 1)

    def test_a_card_guarantee_for_a_child_is_kept_on_the_parents_card(self):
        card = self._card_of(self.mother)
        response = self._book_for(self.child, self._free_start(), service=self.physio)
        self.assertEqual(response.status_code, 303)
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", self.child.id)])
        self.assertEqual(event.clinic_payment_state, const.PAYMENT_GUARANTEED)
        self.assertEqual(event.clinic_guarantee_token_id, card)

    def test_a_prepayment_for_a_child_is_invoiced_to_the_parent_and_names_the_child(self):
        self.child.property_product_pricelist = self.pricelist
        response = self._book_for(self.child, self._free_start(), service=self.consultation)
        self.assertEqual(response.status_code, 303)
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", self.child.id)])
        self.assertEqual(event.clinic_invoice_id.partner_id, self.mother)
        self.assertIn("Noa Child", event.clinic_invoice_id.invoice_line_ids.name)
        self.assertEqual(self.url_open(f"/my/appointments/{event.id}/pay").status_code, 200)

    def test_mails_about_a_child_go_to_the_parent_in_the_parents_language(self):
        self.env["res.lang"]._activate_lang("he_IL")
        self.env.ref("clinic_portal.mail_template_appointment_booked").with_context(
            lang="he_IL").subject = "התור נקבע"
        self.mother.lang = "he_IL"
        self.child.lang = "en_US"
        self._book_for(self.child, self._free_start())
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", self.child.id)])
        mails = self.env["mail.mail"].search([("model", "=", "calendar.event"),
                                              ("res_id", "=", event.id)])
        booked = mails.filtered(lambda mail: mail.subject == "התור נקבע")
        self.assertEqual(booked.recipient_ids, self.mother)
        self.assertNotIn(self.child, mails.recipient_ids)

    # --- forms --------------------------------------------------------------------------------
    def test_a_parent_fills_in_their_childs_form_as_the_childs_answer(self):
        survey = require_form(self.env, self.service, "Child health form")
        page = self.url_open(f"/my/appointments/book?service={self.service.id}"
                             f"&patient={self.child.id}").text
        self.assertIn(f"/my/forms/{survey.id}?service={self.service.id}&amp;patient="
                      f"{self.child.id}", page)
        response = self.url_open(f"/my/forms/{survey.id}?service={self.service.id}"
                                 f"&patient={self.child.id}")
        self.assertEqual(response.status_code, 200)
        answer = self.env["survey.user_input"].search([("survey_id", "=", survey.id)])
        self.assertEqual(answer.partner_id, self.child)
        self.assertIn(answer.access_token, response.url)
        self.assertIn("Child health form", response.text)
        self.assertIn(survey, self.mother._clinic_forms_due(self.service),
                      "the mother's own form is still hers to fill in")

    def test_the_portal_home_lists_the_forms_due_of_each_child_under_their_name(self):
        survey = require_form(self.env, self.service, "Health declaration")
        self.company.clinic_mandatory_form_ids = [Command.create({"survey_id": survey.id})]
        self.env["survey.user_input"].create({
            "survey_id": survey.id, "partner_id": self.mother.id, "state": "done"})
        home = self.url_open("/my").text
        self.assertRegex(home, rf'o_clinic_family_forms_due" role="alert" data-patient-id='
                               rf'"{self.child.id}">\s*<p[^>]*>Forms to fill in for Noa Child:')
        self.assertIn(f"/my/forms/{survey.id}?patient={self.child.id}", home)
        self.assertNotIn(f'href="/my/forms/{survey.id}"', home, "the mother filled in hers")

    # --- access --------------------------------------------------------------------------------
    def test_a_forged_family_member_is_a_404(self):
        start = format_start(self._free_start())
        for url in (f"/my/appointments/book?patient={self.stranger_child.id}",
                    f"/my/appointments/book?service={self.service.id}&patient={self.other.id}",
                    f"/my/appointments/book/confirm?service={self.service.id}&staff="
                    f"{self.staff.id}&start={start}&patient={self.stranger_child.id}",
                    f"/my/appointments/book/times?service={self.service.id}"
                    f"&patient={self.stranger_child.id}",
                    f"/my/forms/1?service={self.service.id}&patient={self.stranger_child.id}",
                    "/my/appointments/book?patient=%C2%B2"):
            with self.subTest(url=url):
                self.assertEqual(self.url_open(url).status_code, 404)
        response = self._book_for(self.stranger_child, self._free_start())
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.env["calendar.event"].search(
            [("clinic_patient_id", "=", self.stranger_child.id)]))

    def test_a_parent_reaches_their_childs_records_and_no_one_elses(self):
        mine = self._book(self._free_start(), partner=self.mother)
        childs = self._book(self._free_start(skip=2), partner=self.child)
        theirs = self._book(self._free_start(skip=4), partner=self.stranger_child)
        for event in (mine, childs):
            self.assertEqual(self.url_open(event._clinic_portal_url()).status_code, 200)
        self.assertEqual(self.url_open(theirs._clinic_portal_url()).status_code, 404)
        # Over RPC, as the record rules give it.
        found = self.make_jsonrpc_request("/web/dataset/call_kw/calendar.event/search_read", {
            "model": "calendar.event", "method": "search_read",
            "args": [[]], "kwargs": {"fields": ["id"]}})
        self.assertEqual({row["id"] for row in found}, {mine.id, childs.id})
        self.assertEqual(
            self.env["calendar.event"].with_user(self.patient_user).search([]), mine | childs)
        # Once the link ends, the child's records are out of reach.
        self.link.action_end()
        self.assertEqual(self.url_open(childs._clinic_portal_url()).status_code, 404)
        self.assertEqual(
            self.env["calendar.event"].with_user(self.patient_user).search([]), mine)

    # --- growing up ------------------------------------------------------------------------------
    def test_a_child_who_comes_of_age_keeps_or_ends_their_parents_access(self):
        teen_user = new_test_user(self.env, login="family_teen", name="Teen Levi",
                                  groups="base.group_portal", email="teen@example.com")
        teen = teen_user.partner_id
        teen.clinic_birthdate = date.today() - relativedelta(years=18, days=-10)
        link = self.env["clinic.family.link"].create({
            "guardian_id": self.mother.id, "patient_id": teen.id,
            "date_start": date.today() - relativedelta(years=2)})
        self.authenticate("family_teen", "family_teen")
        page = self.url_open("/my/family").text
        self.assertIn("Keep their access", page)
        self.assertNotIn("End their access", page, "a minor cannot end a parent's access")
        response = self.url_open(f"/my/family/{link.id}/keep", data={
            "csrf_token": self._csrf()}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertEqual((link.kind, bool(link.consent_date)), (const.FAMILY_CONSENT, True))
        teen.clinic_birthdate = date.today() - relativedelta(years=19)
        self.assertIn("End their access", self.url_open("/my/family").text)
        response = self.url_open(f"/my/family/{link.id}/end", data={
            "csrf_token": self._csrf()}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(link.end_reason, const.FAMILY_END_PATIENT)
        self.assertNotIn(teen, self.mother._clinic_family())
        # Someone else's link is no one's to end but theirs.
        response = self.url_open(f"/my/family/{self.link.id}/end", data={
            "csrf_token": self._csrf()}, allow_redirects=False)
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.link.date_end)
