import pytz
from lxml import html

from odoo.tests import HttpCase, tagged

from .payment_common import BalanceSetup, PortalPaymentRequests


def breadcrumbs(page):
    """The texts and links of a portal page's breadcrumbs, home first."""
    items = html.fromstring(page).xpath("//ol[contains(@class, 'o_portal_submenu')]/li")
    return [(" ".join(item.text_content().split()), (item.xpath(".//a/@href") or [None])[0])
            for item in items]


class InvoicePortalSetup(PortalPaymentRequests, BalanceSetup):
    """A patient with a paid appointment they cancelled in the portal: its invoice and the
    credit note reversing it."""

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

