import pytz
from lxml import html

from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from .payment_common import LIST_PRICE, BalanceSetup, PortalPaymentRequests
from .test_booking_tours import speak_hebrew


def breadcrumbs(page):
    """The texts and links of a portal page's breadcrumbs, home first."""
    items = html.fromstring(page).xpath("//ol[contains(@class, 'o_portal_submenu')]/li")
    return [(" ".join(item.text_content().split()), (item.xpath(".//a/@href") or [None])[0])
            for item in items]


class InvoicePortalSetup(PortalPaymentRequests, BalanceSetup):
    """A patient with a paid appointment they cancelled in the portal: its invoice and the
    credit note reversing it, beside a credit note that belongs to no appointment."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_prepayment(cls.env)
        # Real time here: the server thread of HttpCase runs on the clock.
        cls._open_every_day()

    def _cancelled_paid_appointment(self):
        start = self._slots(product=self.consultation)[self.staff.id][5]
        event = self._hold(start)
        self._pay(event)
        self.assertEqual(event.clinic_payment_state, "paid")
        response = self.url_open(f"{event._clinic_portal_url()}/cancel", data={
            "csrf_token": self._csrf(), "reason": ""}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertFalse(event.active)
        invoice = event.clinic_invoice_id
        credit_note = invoice.reversal_move_ids
        self.assertEqual((credit_note.move_type, credit_note.state), ("out_refund", "posted"))
        return start, event, invoice, credit_note


@tagged("post_install", "-at_install")
class TestInvoiceBreadcrumbs(InvoicePortalSetup, HttpCase):
    """The invoice and the credit note of an appointment are named in the portal's
    breadcrumbs by the appointment, and lead back to it; other invoices keep their number."""

    def setUp(self):
        super().setUp()
        self.authenticate("booking_patient", "booking_patient")

    def test_the_credit_note_and_the_invoice_of_a_cancelled_appointment_name_it(self):
        self.patient_user.tz = "Asia/Jerusalem"
        start, event, invoice, credit_note = self._cancelled_paid_appointment()
        start = start.astimezone(pytz.timezone("Asia/Jerusalem"))
        appointment_page = html.fromstring(self.url_open(event._clinic_portal_url()).text)
        linked = appointment_page.xpath("//a[contains(@class, 'o_clinic_invoice ')"
                                        " or @class='o_clinic_invoice']/@href")
        self.assertEqual(linked, [invoice.get_portal_url(), credit_note.get_portal_url()])
        title = f"Paid consultation, {start.day} {start.strftime('%B %Y %H:%M')}"
        for move, document in ((credit_note, "Credit note"), (invoice, "Invoice")):
            page = self.url_open(move.get_portal_url())
            self.assertEqual(page.status_code, 200)
            self.assertEqual(breadcrumbs(page.text), [
                ("", "/my/home"),
                ("Appointments", "/my/appointments"),
                (title, event._clinic_portal_url()),
                (document, None),
            ])

    def test_an_invoice_of_no_appointment_keeps_its_number(self):
        goodwill = self._credit_note(40.0)
        page = self.url_open(goodwill.get_portal_url()).text
        self.assertEqual([text for text, _href in breadcrumbs(page)],
                         ["", "Invoices & Bills", goodwill.name])

    def test_with_the_portal_closed_the_invoice_keeps_its_number(self):
        _start, _event, invoice, _credit_note = self._cancelled_paid_appointment()
        self.company.clinic_portal_enabled = False
        page = self.url_open(invoice.get_portal_url()).text
        self.assertEqual([text for text, _href in breadcrumbs(page)],
                         ["", "Invoices & Bills", invoice.name])


class InvoiceListToursHebrew(InvoicePortalSetup):
    """The invoice list of a Hebrew-speaking patient with invoices and credit notes of
    appointments and one of no appointment, in Chromium, right to left."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        speak_hebrew(cls)
        cls.env["ir.module.module"]._load_module_terms(["account", "account_payment"],
                                                       ["he_IL"], overwrite=True)

    def _list_tour(self, name):
        self.authenticate("booking_patient", "booking_patient")
        self._cancelled_paid_appointment()
        paid = self._hold(self._slots(product=self.consultation)[self.staff.id][8])
        self._pay(paid)
        self._credit_note(40.0)
        unpaid = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.patient.id,
            "invoice_line_ids": [Command.create({
                "product_id": self.consultation.id, "quantity": 4, "price_unit": LIST_PRICE})],
        })
        unpaid.action_post()
        self.start_tour("/he/my/invoices", name, login="booking_patient")


@tagged("post_install", "-at_install")
class TestInvoiceListPhoneHebrew(InvoiceListToursHebrew, HttpCase):
    browser_size = "375x667"
    touch_enabled = True

    def test_the_invoice_list_fits_a_phone(self):
        self._list_tour("clinic_portal_invoice_list_phone_he")


@tagged("post_install", "-at_install")
class TestInvoiceListDesktopHebrew(InvoiceListToursHebrew, HttpCase):
    browser_size = "1280x800"

    def test_the_invoice_list_shows_every_column_on_a_computer(self):
        self._list_tour("clinic_portal_invoice_list_desktop_he")
