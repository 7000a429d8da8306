import functools
import re
from datetime import UTC, timedelta
from types import SimpleNamespace
from urllib.parse import urlencode

import pytz
from babel.dates import format_date, get_timezone_name
from markupsafe import Markup, escape
from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.fields import Domain
from odoo.http import request
from odoo.tools.misc import babel_locale_parse, format_amount

from odoo.addons.portal.controllers.portal import CustomerPortal

from .. import const, replica
from ..models.clinic_booking_engine import ClinicSlotTaken
from ..services import slots
from ..services.text import parse_date, parse_id, parse_int, parse_month, parse_start
from .booking_choice import BookingChoice
from .language import lang_url

# The client portal's documents, each with the field naming the client it belongs to: the
# record rules of the portal group give a client these alone, and the gate checks it again.
CLINIC_DOCUMENTS = {
    "calendar.event": "clinic_patient_id",
    "clinic.course.enrollment": "partner_id",
    "clinic.course.seat": "partner_id",
    "clinic.treatment.plan": "partner_id",
    "clinic.treatment.plan.line": "partner_id",
    # A link that gives someone access to the client.
    "clinic.family.link": "patient_id",
}

# The constants the templates compare with, by name (a module can't enter a QWeb context).
TEMPLATE_CONST = SimpleNamespace(
    **{name: value for name, value in vars(const).items() if name.isupper()})


def format_start(value):
    return value.astimezone(UTC).strftime(const.START_FORMAT)


@functools.lru_cache(maxsize=256)
def tz_display_name(zone, locale):
    """A time zone as people name it in ``locale`` ("Israel Time"); Babel's lookup is slow
    and its answer never changes, and the times of every booking page name a few zones."""
    if zone in ("UTC", "Etc/UTC", "Etc/GMT", "GMT"):
        return "UTC"
    return get_timezone_name(pytz.timezone(zone), locale=locale)


def tel_href(phone):
    """A ``tel:`` link for a phone number as people write it (RFC 3966 allows no spaces)."""
    return "tel:" + re.sub(r"[^\d+]", "", phone or "")


def phone_links(text, phone):
    """``text`` as safe markup, with every mention of the clinic's ``phone`` tappable."""
    text = escape(text or "")
    if not phone:
        return text
    link = Markup('<a href="%s" dir="ltr" class="text-nowrap">%s</a>') % (tel_href(phone), phone)
    return Markup(text.replace(escape(phone), link))


def page_reads(controller, rule, args):
    """``readonly`` of the client portal's pages that only read: on the replica (see
    ``replica``), but on the primary for the page that gives a patient the browser's time zone,
    a write."""
    return not controller._clinic_browser_tz_to_adopt() \
        and replica.reads_on_replica(controller, rule, args)


def appointment_page_reads(controller, rule, args):
    """``readonly`` of an appointment's page: a page that only reads (``page_reads``), unless
    it links an invoice for the first time, which gives the invoice its access token."""
    return not controller._clinic_invoice_token_missing(args.get("event_id")) \
        and page_reads(controller, rule, args)


class ClinicPortal(CustomerPortal):
    """The client portal's appointments: list, detail, book, reschedule, cancel.

    Every route that reads a client's document (an appointment, an enrollment, a seat, a
    treatment plan or one of its lines) goes through ``_document_check_access``, and every list
    of them through ``_documents_search``; routes parse the request, call the models, render.
    The models check every rule.
    """

    # ------------------------------------------------------------------------------------
    # The gate, the policy and the page values
    # ------------------------------------------------------------------------------------
    def _document_check_access(self, model_name, document_id, access_token=None):
        """The client's document ``document_id`` of ``model_name`` as superuser, if the
        current user may read it (record rule) and is its client, or ``access_token`` is its
        portal token (appointments only); core's check for any other model.

        :raise MissingError: no such document, or the client portal is closed
        :raise AccessError: not the user's, and no valid token
        """
        owner = CLINIC_DOCUMENTS.get(model_name)
        if not owner:
            return super()._document_check_access(model_name, document_id, access_token)
        document = self._clinic_documents(model_name).browse(document_id)
        document_sudo = document.sudo().exists()
        if not document_sudo[owner] or not self._clinic_policy().enabled:
            raise MissingError(request.env._("This document does not exist."))
        try:
            document.check_access("read")
            if document_sudo[owner] not in self._clinic_family():
                raise AccessError(request.env._("This document is not yours."))
        except AccessError:
            if model_name != "calendar.event" \
                    or not document_sudo._clinic_portal_token_matches(access_token):
                raise
        return document_sudo

    def _document_or_404(self, model_name, document_id, access_token=None):
        try:
            return self._document_check_access(model_name, document_id, access_token)
        except (AccessError, MissingError) as exc:
            raise NotFound() from exc

    def _documents_search(self, model_name, domain, order=None, limit=None):
        """The documents of ``model_name`` matching ``domain`` of the user and of the family
        members they act for, as superuser for rendering.

        The list counterpart of the gate: searched as the portal user, so the record rule
        keeps it to the client's own documents and their family's; nothing when the portal
        is closed.
        """
        documents = self._clinic_documents(model_name)
        if not self._clinic_policy().enabled:
            return documents.sudo()
        own = Domain(CLINIC_DOCUMENTS[model_name], "in", self._clinic_family().ids)
        return documents.search(own & Domain(domain), order=order, limit=limit).sudo()

    def _clinic_patient(self, patient=None):
        """The patient a page acts for: the user, or the family member whose id the request
        names in ``patient`` (as superuser).

        :raises NotFound: ``patient`` names neither the user nor a family member they act
            for today: a forged id learns nothing
        """
        me = request.env.user.partner_id
        if patient in (None, ""):
            return me
        found = self._clinic_family().filtered(lambda member: member.id == parse_id(patient))
        if not found:
            raise NotFound()
        return me if found == me else found

    def _clinic_family(self):
        """The user and the family members they act for today (as superuser), read once a
        request: the gate, the lists and the page's values all ask."""
        read = getattr(request, "clinic_family", None)
        if not read or read[0] != request.env.uid:
            request.clinic_family = (request.env.uid,
                                     request.env.user.partner_id._clinic_family())
        return request.clinic_family[1]

    def _clinic_not_payer(self, event_sudo):
        """Whether the user is not who pays the appointment: a family member who can see it
        neither pays it nor saves a card for it with their own."""
        return event_sudo.clinic_payer_id != request.env.user.partner_id

    def _clinic_documents(self, model_name):
        documents = request.env[model_name]
        if model_name == "calendar.event":
            # A cancelled appointment is archived, and still the patient's to see.
            documents = documents.with_context(active_test=False)
        return documents

    def _clinic_policy(self):
        return request.env.company._clinic_portal_policy()

    @http.route(readonly=replica.reads_on_replica)
    def counters(self, counters=None, **kw):
        # The portal home's counts, our appointments' among them: a patient who just booked
        # reads them back like their pages. Only names of counts are asked about.
        names = [name for name in counters if isinstance(name, str)] \
            if isinstance(counters, list) else []
        return super().counters(names, **kw)

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "clinic_appointment_count" in counters:
            values["clinic_appointment_count"] = len(self._documents_search(
                "calendar.event", [("active", "=", True), ("stop", ">", fields.Datetime.now())],
                "id"))
        return values

    def _clinic_adopt_browser_tz(self, partner):
        """A patient without a time zone gets the browser's on their first visit (as Odoo does
        at a first login), so that times are not shown in UTC."""
        browser_tz = self._clinic_browser_tz_to_adopt()
        if browser_tz:
            # A portal user may not write their contact; the value is a valid zone name.
            partner.sudo().tz = browser_tz

    def _clinic_browser_tz_to_adopt(self):
        """The browser's time zone when the logged-in user has none yet, else None. Asked
        before the route runs (``page_reads``): a visitor's public contact takes none."""
        browser_tz = request.cookies.get("tz")
        if not request.session.uid or browser_tz not in pytz.all_timezones_set:
            return None
        user = request.env["res.users"].sudo().browse(request.session.uid).exists()
        return browser_tz if user and not user.partner_id.tz else None

    def _clinic_invoice_token_missing(self, event_id):
        """Whether an invoice the page of appointment ``event_id`` links has no access token
        yet: its link makes one. Asked before the route runs (``appointment_page_reads``)."""
        event_sudo = self._clinic_documents("calendar.event").sudo().browse(event_id).exists()
        return bool(event_sudo) and not all(
            event_sudo._clinic_portal_invoices().mapped("access_token"))

    def _clinic_values(self, patient=None, **values):
        """The values of every page of the client portal's appointments; ``patient`` is the
        one the page acts for (the user by default): ``for_query`` names them in the page's
        links and forms."""
        availability = request.env["clinic.availability.engine"]
        policy = self._clinic_policy()
        partner = request.env.user.partner_id
        patient = patient or partner
        self._clinic_adopt_browser_tz(partner)
        tz = availability._tz(partner)
        locale = babel_locale_parse(request.env.lang or "en_US")
        return {
            **self._prepare_portal_layout_values(),
            "page_name": "clinic_appointments",
            "const": TEMPLATE_CONST,
            "policy": policy,
            "booking_open": policy.booking_open,
            "patient": patient,
            "me": partner,
            "family": self._clinic_family(),
            "for_query": "" if patient == partner else f"&patient={patient.id}",
            "patient_param": "" if patient == partner else str(patient.id),
            "tz": tz,
            "tz_name": self._clinic_tz_name(tz.zone, locale),
            "fmt_day": lambda d: format_date(d, format="EEEE d MMMM y", locale=locale),
            "fmt_short_day": lambda d: format_date(d, format="EEE d MMM", locale=locale),
            "fmt_time": lambda dt: dt.astimezone(tz).strftime("%H:%M"),
            "fmt_start": format_start,
            "tel_href": tel_href,
            "clinic": policy.company,
            "change_terms": request.env["clinic.booking.engine"]._change_terms(policy),
            "free_times": self._clinic_free_times_label,
            "phone_links": lambda text: phone_links(text, policy.phone),
            "local": lambda dt: slots.from_naive_utc(dt).astimezone(tz),
            **values,
        }

    def _clinic_free_times_label(self, count):
        if count == 1:
            return request.env._("1 free time")
        return request.env._("%(count)s free times", count=count)

    def _clinic_detail_values(self, event_sudo, **values):
        me = request.env.user.partner_id
        is_patient = event_sudo.clinic_patient_id in self._clinic_family()
        invoices = event_sudo._clinic_portal_invoices()
        service = event_sudo.clinic_product_id
        held = event_sudo._clinic_hold_live()
        return self._clinic_values(
            event=event_sudo, status=event_sudo.clinic_portal_status,
            payment_state=event_sudo.clinic_payment_state, held=held,
            can_pay=event_sudo.clinic_payer_id == me and held
            and not event_sudo._clinic_payment_refusal(),
            payment_refusal=held and event_sudo._clinic_payment_refusal(),
            changeable=event_sudo.clinic_is_changeable,
            can_cancel=is_patient and event_sudo.clinic_is_cancellable,
            can_reschedule=is_patient and event_sudo.clinic_is_reschedulable,
            invoices=invoices,
            offer=service and service._clinic_portal_offer(event_sudo.clinic_patient_id),
            paid_invoice=event_sudo.clinic_invoice_id.filtered(
                lambda invoice: invoice.state == "posted" and invoice in invoices),
            paid_with=event_sudo._clinic_paid_with(),
            google_calendar_url=self._clinic_google_calendar_url(
                event_sudo, self._clinic_policy()),
            cancel_outcome=self._clinic_cancel_outcome(event_sudo),
            **values)

    def _clinic_cancel_outcome(self, event_sudo):
        """What cancelling the appointment does to what the patient paid, said before they
        confirm: refunded to the card, kept as their balance, or nothing charged."""
        state = event_sudo.clinic_payment_state
        if state == const.PAYMENT_PAID:
            invoice = event_sudo.clinic_invoice_id
            amount = format_amount(request.env, invoice.amount_total, invoice.currency_id) \
                if invoice else ""
            card = event_sudo._clinic_paid_with()
            if (self._clinic_policy().cancel_refund == const.CANCEL_REFUND_CARD
                    and not event_sudo.clinic_paid_from_balance and card):
                return Markup(request.env._(
                    "What you paid, %(amount)s, is refunded to %(card)s; your bank may take a "
                    "few days to show it.")) % {
                        "amount": Markup('<span dir="ltr">%s</span>') % amount,
                        "card": Markup('<span class="o_clinic_paid_card">%s</span>') % card}
            return Markup(request.env._(
                "What you paid, %(amount)s, is kept as your balance with the clinic, for your "
                "next appointments.")) % {"amount": Markup('<span dir="ltr">%s</span>') % amount}
        if state == const.PAYMENT_GUARANTEED:
            return request.env._(
                "Nothing is charged: your card was kept only in case you did not come.")
        return request.env._("Nothing is charged.")

    # ------------------------------------------------------------------------------------
    # List and detail
    # ------------------------------------------------------------------------------------
    @http.route("/my/appointments", type="http", auth="user", website=True,
                readonly=page_reads)
    def clinic_appointments(self, **kw):
        now = fields.Datetime.now()
        upcoming = self._documents_search(
            "calendar.event", [("active", "=", True), ("stop", ">", now)], "start asc")
        past = self._documents_search(
            "calendar.event", ["|", ("active", "=", False), ("stop", "<=", now)], "start desc",
            limit=50)
        return request.render("clinic_portal.portal_my_appointments", self._clinic_values(
            upcoming=upcoming, past=past))

    @http.route("/my/appointments/<int:event_id>", type="http", auth="public", website=True,
                readonly=appointment_page_reads)
    def clinic_appointment(self, event_id, access_token=None, message=None, **kw):
        try:
            event_sudo = self._document_check_access("calendar.event", event_id, access_token)
        except (AccessError, MissingError) as exc:
            if request.env.user._is_public():
                # Whatever the id: a visitor learns nothing, a patient logs in and lands on it.
                return request.redirect("/web/login?" + urlencode(
                    {"redirect": f"/my/appointments/{event_id}"}))
            raise NotFound() from exc
        message = message if message in const.MESSAGES else None
        return request.render("clinic_portal.portal_my_appointment", self._clinic_detail_values(
            event_sudo, message=message,
            mailed=bool(message and event_sudo._clinic_patient_mail_template(message))))

    @http.route("/my/appointments/<int:event_id>/appointment.ics", type="http", auth="public",
                website=True, methods=["GET"], sitemap=False, readonly=replica.reads_on_replica)
    def clinic_appointment_ics(self, event_id, access_token=None, **kw):
        """The appointment as an .ics file for the patient's calendar: the same entry, with
        the same UID, as the one the booking mail attaches."""
        event_sudo = self._document_or_404("calendar.event", event_id, access_token)
        ics = event_sudo.active and event_sudo._clinic_ics()
        if not ics:
            raise NotFound()
        return request.make_response(ics, headers=[
            ("Content-Type", "text/calendar; charset=utf-8"),
            ("Content-Disposition", 'attachment; filename="appointment.ics"'),
            ("Cache-Control", "no-store"),
        ])

    def _clinic_google_calendar_url(self, event_sudo, policy):
        """A link that opens Google Calendar's "new event" page filled with the appointment:
        its service, times (UTC), the clinic's address and the appointment's page."""
        address = policy.company.partner_id.sudo()._display_address(without_company=True)
        return "https://calendar.google.com/calendar/render?" + urlencode({
            "action": "TEMPLATE",
            "text": f"{event_sudo.clinic_product_id.name or event_sudo.name} – "
                    f"{policy.company.name}",
            "dates": "/".join(slots.from_naive_utc(moment).strftime("%Y%m%dT%H%M%SZ")
                              for moment in (event_sudo.start, event_sudo.stop)),
            "location": event_sudo.location or ", ".join(
                filter(None, map(str.strip, address.splitlines()))),
            "details": event_sudo.get_base_url() + event_sudo._clinic_portal_url(),
        })

    # ------------------------------------------------------------------------------------
    # Booking: service, staff, day, time, confirm
    # ------------------------------------------------------------------------------------
    @http.route("/my/appointments/book", type="http", auth="user", website=True,
                readonly=page_reads)
    def clinic_book(self, staff=None, page=0, day=None, **kw):
        return self._clinic_choose(self._clinic_choice_params(kw), staff=staff, page=page,
                                   day=day)

    @http.route("/my/appointments/<int:event_id>/reschedule", type="http", auth="user",
                website=True, methods=["GET"], readonly=page_reads)
    def clinic_reschedule(self, event_id, page=0, day=None, **kw):
        event_sudo = self._document_or_404("calendar.event", event_id)
        return self._clinic_choose({}, staff=event_sudo.user_id.id, page=page, day=day,
                                   event=event_sudo)

    def _clinic_choice_params(self, params):
        """The parameters of a request that name what the pages book: ``service``, and
        ``patient``, the family member booked for (the user when absent)."""
        chosen = {"service": params["service"]} if params.get("service") else {}
        return {**chosen, **self._clinic_patient_params(params)}

    def _clinic_patient_params(self, params):
        return {"patient": params["patient"]} if params.get("patient") else {}

    def _clinic_patient_of(self, params, event=None):
        """The patient the booking pages book for: the appointment's, or the one ``params``
        name (see ``_clinic_patient``)."""
        return event.clinic_patient_id if event else self._clinic_patient(params.get("patient"))

    def _clinic_choice(self, params, event=None, priced=True):
        """What the pages book: the service named by ``params`` (see
        ``_clinic_choice_params``), or the one of the appointment they reschedule.

        :param priced: False where only the times are shown: the offer then has no price
        :returns: a ``BookingChoice``, or None when nothing is chosen yet
        :raises UserError: a choice the patient cannot book
        """
        service = event.clinic_product_id.id if event else params.get("service")
        if not service:
            return None
        availability = request.env["clinic.availability.engine"]
        partner = self._clinic_patient_of(params, event)
        product, offer = availability._service(partner, parse_id(service), priced=priced)
        if not offer:
            raise UserError(request.env._("This service cannot be booked in the client portal."))
        return BookingChoice(
            product=product, offer=offer, patient=partner,
            params={"service": product.id, **self._clinic_patient_params(params)},
            staff_list=availability._staff(partner, product, self._clinic_policy()),
            staff_error=request.env._("This staff member cannot be booked for this service."))

    def _clinic_choose(self, params, staff=None, page=0, day=None, event=None, error=None):
        partner = self._clinic_patient_of(params, event)
        values = self._clinic_values(event=event, error=error, step=const.STEP_SERVICE,
                                     patient=partner)
        if not values["booking_open"]:
            return request.render("clinic_portal.portal_book", values)
        try:
            choice = self._clinic_choice(params, event)
        except UserError as exc:
            values["error"] = exc.args[0]
            choice = None
        if not choice:
            return request.render("clinic_portal.portal_book",
                                  self._clinic_service_list(partner, values, event))
        values.update(self._clinic_staff_step(partner, choice, event))
        if not staff or values["blockers"] or not values["payment_possible"]:
            return request.render("clinic_portal.portal_book", values)
        chosen = self._clinic_chosen_staff(choice.staff_list, staff)
        if not chosen:
            values["error"] = choice.staff_error
            return request.render("clinic_portal.portal_book", values)
        values.update(self._clinic_days_step(partner, choice.product, chosen, staff, page, day,
                                             event))
        return request.render("clinic_portal.portal_book", values)

    def _clinic_service_list(self, partner, values, event):
        """``values`` with the services to choose from, for the service step only: the
        later steps of a request do not price every service again."""
        if not event:
            services = request.env["clinic.availability.engine"]._services(partner)
            blockers_of = {product.id: partner._clinic_booking_blockers(product)
                           for product, _offer in services}
            engine = request.env["clinic.booking.engine"]
            policy = self._clinic_policy()
            values.update(services=services, blockers_of=blockers_of, one_page={
                # Booked on this page by its script: nothing but forms to do before choosing
                # a time (the forms lead back to the time chosen).
                product.id for product, offer in services
                if len(blockers_of[product.id]) == bool(partner._clinic_forms_due(product))
                and engine._payment_possible(partner, product, offer, policy)})
        return values

    def _clinic_staff_step(self, partner, choice, event):
        # Rescheduling keeps the payment made at booking; a plan session pays nothing.
        possible = bool(event) or not choice.offer or request.env[
            "clinic.booking.engine"]._payment_possible(
                partner, choice.product, choice.offer, self._clinic_policy())
        return {
            "step": const.STEP_STAFF, "product": choice.product, "offer": choice.offer,
            "plan_line": choice.plan_line, "payment": choice.payment,
            "payment_possible": possible, "staff_list": choice.staff_list,
            **self._clinic_blockers(partner, choice.product, event),
        }

    def _clinic_chosen_staff(self, candidates, staff):
        if staff == const.ANY_STAFF:
            return candidates
        return candidates.filtered(lambda u: u.id == parse_id(staff))

    def _clinic_days_step(self, partner, product, chosen, staff, page, day, event):
        availability = request.env["clinic.availability.engine"]
        policy = self._clinic_policy()
        page = parse_int(page) or 0
        parsed_day = parse_date(day)
        if day and not parsed_day:
            raise NotFound()
        day = parsed_day
        try:
            start, end = availability._window(partner, policy, page)
        except ValueError:
            raise NotFound() from None
        found = availability._free_starts(partner, product, chosen, start, end, policy,
                                          ignore_event=event)
        # Rescheduling to the time it already has is no change: it is not offered.
        current = {slots.from_naive_utc(event.start)} if event else set()
        all_starts = sorted({s for starts in found.values() for s in starts} - current)
        days = slots.group_by_day(all_starts, availability._tz(partner))
        limited = not all_starts and bool(availability._limited_staff(
            partner, chosen, policy, ignore_event=event))
        return {
            "step": const.STEP_TIME if day else const.STEP_DAY,
            "staff": staff, "chosen": chosen, "page": page,
            "days": days, "window_start": start,
            "window_last_day": (end - timedelta(days=1)).date(),
            "has_next": page + 1 < slots.page_count(policy.search_range_days),
            "limit_message": limited and request.env[
                "clinic.booking.engine"]._limit_message(policy),
            "day": day, "times": days.get(day, []) if day else [],
        }

    # ------------------------------------------------------------------------------------
    # The one-page booking's times: a month of a service's free times, in JSON
    # ------------------------------------------------------------------------------------
    @http.route("/my/appointments/book/times", type="http", auth="user", website=True,
                methods=["GET"], sitemap=False, readonly=replica.reads_on_replica)
    def clinic_book_times(self, staff=None, month=None, tz=None, browser_tz=None, event=None,
                          **kw):
        """The free times of a month for the booking page's script: the service named as
        the pages name it (or the appointment ``event`` rescheduled), with ``staff`` (an id,
        or "any"), shown in the time zone ``tz`` (the patient's by default).

        Only the availability work: every other part of the page is rendered by the server.
        A refusal is a JSON ``{"error": message}`` with status 404 or 422, never a 500.
        """
        try:
            event_sudo = self._document_check_access("calendar.event", parse_id(event)) \
                if event else None
            if not self._clinic_policy().booking_open:
                raise UserError(request.env._("Online booking is not available."))
            choice = self._clinic_choice(self._clinic_choice_params(kw), event_sudo,
                                         priced=False)
            if not choice:
                raise NotFound()
            if event_sudo:
                staff = str(event_sudo.user_id.id)
            values = self._clinic_month_times(choice, staff or const.ANY_STAFF, month, tz,
                                              browser_tz, event_sudo)
        except (AccessError, MissingError, NotFound):
            return request.make_json_response(
                {"error": request.env._("This page does not exist.")}, status=404)
        except UserError as exc:
            return request.make_json_response({"error": exc.args[0]}, status=422)
        return request.make_json_response(values, headers={"Cache-Control": "no-store"})

    def _clinic_month_times(self, choice, staff, month, tz_name, browser_tz, event):
        """The JSON of ``clinic_book_times``: the month's days with free times, each with
        its times, in the time zone ``tz_name``; the months before and after it in the
        booking horizon; the time zones the patient may switch to, by name.

        :raises NotFound: a month outside the booking horizon, or not a month
        :raises UserError: a staff member not bookable for the service
        """
        availability = request.env["clinic.availability.engine"]
        partner = choice.patient
        policy = self._clinic_policy()
        own_tz = availability._tz(request.env.user.partner_id)
        tz = pytz.timezone(tz_name) if tz_name in pytz.all_timezones_set else own_tz
        chosen = self._clinic_chosen_staff(choice.staff_list, staff)
        if not chosen:
            raise UserError(choice.staff_error)
        horizon = availability._horizon(partner, policy)
        first_month, last_month = slots.horizon_months(*horizon, tz)
        shown = parse_month(month) if month else first_month
        if not shown:
            raise NotFound()
        try:
            start, end = slots.month_window(shown, *horizon, tz)
        except ValueError:
            raise NotFound() from None
        found = availability._free_starts(partner, choice.product, chosen, start, end, policy,
                                          ignore_event=event)
        current = {slots.from_naive_utc(event.start)} if event else set()
        starts = sorted({s for user_starts in found.values() for s in user_starts} - current)
        locale = babel_locale_parse(request.env.lang or "en_US")
        days = slots.group_by_day(starts, tz)
        limited = not starts and bool(availability._limited_staff(
            partner, chosen, policy, ignore_event=event))
        return {
            "month": shown.strftime("%Y-%m"),
            "title": format_date(shown, format="LLLL y", locale=locale),
            "prev": (shown - timedelta(days=1)).strftime("%Y-%m")
            if shown > first_month else None,
            "next": slots.next_month(shown).strftime("%Y-%m") if shown < last_month else None,
            "first_weekday": locale.first_week_day,
            "weekdays": [locale.days["format"]["narrow"][(locale.first_week_day + i) % 7]
                         for i in range(7)],
            "weekday_names": [locale.days["format"]["wide"][(locale.first_week_day + i) % 7]
                              for i in range(7)],
            "days": [{
                "day": day.isoformat(),
                "label": format_date(day, format="EEEE d MMMM y", locale=locale),
                "times": [{"start": format_start(s), "time": s.strftime("%H:%M")}
                          for s in day_starts],
            } for day, day_starts in days.items()],
            "tz": tz.zone,
            "zones": [{"zone": zone, "name": self._clinic_tz_name(zone, locale)}
                      for zone in dict.fromkeys(filter(
                          lambda zone: zone in pytz.all_timezones_set,
                          (own_tz.zone, policy.company.sudo().resource_calendar_id.tz,
                           browser_tz, tz.zone)))],
            "staff": [{"id": user.id, "name": user.name} for user in choice.staff_list],
            "limit_message": limited and availability.env[
                "clinic.booking.engine"]._limit_message(policy) or "",
        }

    def _clinic_tz_name(self, zone, locale):
        """A time zone as people name it ("Israel Time"), not by its database name."""
        return tz_display_name(zone, locale)

    @http.route("/my/appointments/book/confirm", type="http", auth="user", website=True,
                methods=["GET"], readonly=page_reads)
    def clinic_book_confirm(self, staff=None, start=None, **kw):
        return self._clinic_confirm_page(self._clinic_choice_params(kw), staff, start)

    def _clinic_confirm_page(self, params, staff, start, event=None):
        partner = self._clinic_patient_of(params, event)
        payer = request.env.user.partner_id
        values = self._clinic_values(step=const.STEP_CONFIRM, event=event, patient=partner)
        if not values["booking_open"]:
            return request.render("clinic_portal.portal_book", values)
        policy = values["policy"]
        try:
            choice = self._clinic_choice(params, event)
            if not choice:
                raise NotFound()
            staff_user, when = self._clinic_confirm_time(
                partner, choice.product, choice.staff_list, staff, start, policy)
        except UserError as exc:
            return self._clinic_refused(exc, params, staff, start, event=event)
        values.update(product=choice.product, offer=choice.offer, plan_line=choice.plan_line,
                      staff=staff or const.ANY_STAFF, staff_user=staff_user, start=when,
                      payment=const.PAYMENT_NONE if event else choice.payment,
                      balance_pays=not event and bool(choice.offer)
                      and payer._clinic_balance_pays(choice.product, choice.offer, policy),
                      **self._clinic_confirm_values(choice, event),
                      **self._clinic_blockers(partner, choice.product, event))
        return request.render("clinic_portal.portal_book_confirm", values)

    def _clinic_confirm_values(self, choice, event):
        """Hook: what else the confirm page of ``choice`` shows."""
        return {}

    def _clinic_confirm_time(self, partner, product, staff_list, staff, start, policy):
        """``(staff user, aware start)`` the confirm page shows: the chosen staff member, or
        for "any available" the one the time goes to, shown by name before booking.

        :raises NotFound: a staff member not in ``staff_list``, or no start
        :raises UserError: a time the booking rules refuse
        """
        specific = staff and staff != const.ANY_STAFF
        staff_user = self._clinic_chosen_staff(staff_list, staff) if specific \
            else request.env["res.users"]
        when = parse_start(start)
        if (specific and not staff_user) or not when:
            raise NotFound()
        engine = request.env["clinic.booking.engine"]
        when = engine._check_new_time(partner, when, policy)
        if not staff_user:
            staff_user = engine._pick_staff(partner, product, staff_list, when, policy)
        return staff_user, when

    def _clinic_blockers(self, partner, product, event):
        """What keeps the patient from booking ``product`` (nothing when rescheduling)."""
        if event:
            return {"blockers": [], "forms_due": []}
        return {"blockers": partner._clinic_booking_blockers(product),
                "forms_due": partner._clinic_forms_due(product)}

    def _clinic_submitted(self, staff, start, staff_error):
        """``(staff user, aware start)`` of a submitted booking form, the staff user empty
        for "any available".

        :raises UserError: ``staff_error`` for a staff member that does not exist, or a
            start that is not one the pages offer
        """
        staff_user = request.env["res.users"]
        if staff and staff != const.ANY_STAFF:
            # Portal users read no user: the staff member is checked by the booking engine.
            staff_user = staff_user.sudo().browse(parse_id(staff)).exists()
            if not staff_user:
                raise UserError(staff_error)
        when = parse_start(start)
        if not when:
            raise UserError(request.env._("Choose a time from the list."))
        return staff_user, when

    def _clinic_request(self, params, staff, start):
        """The booking request (``services.booking.BookingRequest``) of a submitted booking
        form: a service of the price list.

        :raises UserError: a clear message
        """
        staff_user, when = self._clinic_submitted(staff, start, request.env._(
            "This staff member cannot be booked for this service."))
        engine = request.env["clinic.booking.engine"]
        product = request.env["product.product"].browse(parse_id(params.get("service")))
        return engine._service_request(self._clinic_patient_of(params), product, when,
                                       self._clinic_policy(), staff_user=staff_user,
                                       payer=request.env.user.partner_id)

    @http.route("/my/appointments/book/confirm", type="http", auth="user", website=True,
                methods=["POST"])
    def clinic_book_submit(self, staff=None, start=None, **kw):
        params = self._clinic_choice_params(kw)
        try:
            booking = self._clinic_request(params, staff, start)
            event = request.env["clinic.booking.engine"]._book(booking)
        except UserError as exc:
            return self._clinic_refused(exc, params, staff, start)
        # Held while the patient pays, unless paid from the balance; a double submit lands on
        # the same appointment, which a parallel request may have made (not readable here yet).
        if booking.payment == const.PAYMENT_PREPAYMENT and not (
                event.exists() and event.clinic_paid_from_balance):
            return request.redirect(event._clinic_portal_pay_url(), code=303)
        if booking.payment == const.PAYMENT_GUARANTEE and event._clinic_card_awaited():
            # Held while the patient saves a card; a double submit lands on the same hold.
            return request.redirect(event._clinic_portal_card_url(), code=303)
        return request.redirect(
            f"{event._clinic_portal_url()}?message={const.MESSAGE_BOOKED}", code=303)

    @http.route("/my/appointments/<int:event_id>/reschedule", type="http", auth="user",
                website=True, methods=["POST"])
    def clinic_reschedule_submit(self, event_id, start=None, **kw):
        event_sudo = self._document_or_404("calendar.event", event_id)
        try:
            when = parse_start(start)
            if not when:
                raise UserError(request.env._("Choose a time from the list."))
            event_sudo._clinic_reschedule(when, self._clinic_policy())
        except UserError as exc:
            return self._clinic_refused(exc, {}, event_sudo.user_id.id, start, event=event_sudo)
        return request.redirect(
            f"{event_sudo._clinic_portal_url()}?message={const.MESSAGE_RESCHEDULED}", code=303)

    @http.route("/my/appointments/<int:event_id>/reschedule/confirm", type="http",
                auth="user", website=True, methods=["GET"], readonly=page_reads)
    def clinic_reschedule_confirm(self, event_id, start=None, **kw):
        event_sudo = self._document_or_404("calendar.event", event_id)
        return self._clinic_confirm_page({}, event_sudo.user_id.id, start, event=event_sudo)

    @http.route("/my/appointments/<int:event_id>/cancel", type="http", auth="user",
                website=True, methods=["POST"])
    def clinic_cancel_submit(self, event_id, reason=None, **kw):
        event_sudo = self._document_or_404("calendar.event", event_id)
        try:
            event_sudo._clinic_cancel(reason, self._clinic_policy())
        except UserError as exc:
            return request.render("clinic_portal.portal_my_appointment",
                                  self._clinic_detail_values(event_sudo, error=exc.args[0]))
        return request.redirect(
            f"{event_sudo._clinic_portal_url()}?message={const.MESSAGE_CANCELLED}", code=303)

    # ------------------------------------------------------------------------------------
    # Mandatory forms: opened from the step they block, and back to it
    # ------------------------------------------------------------------------------------
    @http.route("/my/forms/<int:survey_id>", type="http", auth="user", website=True,
                methods=["GET"])
    def clinic_form_start(self, survey_id, service=None, staff=None, start=None, **kw):
        """Open a form due before booking ``service`` for the patient ``patient`` (the
        user, or a family member); the forms due are filled one after the other, the last
        leads back to booking: to the confirmation of the time chosen (``staff`` and
        ``start``) when there is one."""
        for_patient = self._clinic_patient_params(kw)
        partner = self._clinic_patient(for_patient.get("patient"))
        product, offer = request.env["clinic.availability.engine"]._service(
            partner, parse_id(service))
        product = product if offer else None
        survey = partner._clinic_forms_due(product).filtered(lambda s: s.id == survey_id)
        if not survey:
            raise NotFound()
        query = {"service": product.id} if product else {}
        query.update(for_patient)
        back = f"/my/appointments/book?{urlencode(query)}" if query else "/my/appointments/book"
        when = parse_start(start)
        if product and when and staff and (staff == const.ANY_STAFF or parse_id(staff)):
            query.update(staff=staff, start=format_start(when))
            back = f"/my/appointments/book/confirm?{urlencode(query)}"
        return self._clinic_open_form(survey, back, product, query, partner)

    def _clinic_open_form(self, survey, back, product=None, query=None, patient=None):
        """Start ``survey`` for ``patient`` (the user by default); its last page leads to
        the next form due before booking ``product`` (the same ``query`` opens it), and the
        last form back to ``back``, in this page's language, whatever language the form is
        in."""
        patient = patient or request.env.user.partner_id
        flow = request.session.get("clinic_form_flow") or {}
        due = patient._clinic_forms_due(product)
        same_flow = flow.get("back") == back and survey.id in flow.get("forms", [])
        request.session["clinic_form_return"] = lang_url(request.lang.code, back)
        request.session["clinic_form_flow"] = {
            "back": back,
            "product": product.id if product else 0,
            "patient": patient.id,
            "query": urlencode(query or {}),
            "prefix": lang_url(request.lang.code, ""),
            # The forms of this round, those already filled first: "form 2 of 3".
            "forms": flow["forms"] if same_flow else due.ids,
        }
        answer = self._clinic_form_answer(survey, patient)
        if not answer:
            return request.redirect(survey.get_start_url())
        return request.redirect(
            f"/survey/start/{survey.sudo().access_token}?answer_token={answer.access_token}")

    def _clinic_form_answer(self, survey, patient=None):
        """The answer of ``patient`` (the user by default) to ``survey`` (the one left
        unfinished, or a new one), in this page's language whatever languages the form was
        written in, with what the clinic already knows of the patient filled in. None when
        the form does not let them answer (Odoo's own start page then says why)."""
        me = request.env.user.partner_id
        partner = patient or me
        answer = request.env["survey.user_input"].sudo().search([
            ("survey_id", "=", survey.id), ("partner_id", "=", partner.id),
            ("state", "!=", "done"), ("test_entry", "=", False),
        ], order="id desc", limit=1)
        if not answer:
            try:
                # A family member's answer is theirs, whoever fills it in.
                answer = survey.sudo()._create_answer(user=request.env.user, **(
                    {} if partner == me else {"partner_id": partner.id, "email": partner.email,
                                              "nickname": partner.name}))
            except UserError:
                return None
        answer.lang_id = request.env["res.lang"]._lang_get(request.lang.code)
        answer._clinic_prefill()
        return answer

    def _clinic_refused(self, exc, params, staff, start, event=None):
        """Show why the booking was refused; a taken time goes back to the day's times of
        the same choice (``params``, see ``_clinic_choice_params``)."""
        message = exc.args[0] if exc.args else str(exc)
        when = parse_start(start)
        if isinstance(exc, ClinicSlotTaken) and when:
            availability = request.env["clinic.availability.engine"]
            partner = self._clinic_patient_of(params, event)
            policy = self._clinic_policy()
            day = when.astimezone(availability._tz(partner)).date()
            page = min(slots.page_of(day, availability._today(partner),
                                     policy.search_start_days),
                       slots.page_count(policy.search_range_days) - 1)
            return self._clinic_choose(params, staff=staff, event=event, error=message,
                                       page=page, day=day.isoformat())
        values = self._clinic_values(step=const.STEP_REFUSED, error=message, event=event,
                                     patient=self._clinic_patient_of(params, event))
        return request.render("clinic_portal.portal_book", values)
