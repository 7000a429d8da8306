from datetime import UTC, date, datetime, timedelta

from babel.dates import format_date
from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.tools import consteq
from odoo.tools.misc import babel_locale_parse

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..models.clinic_booking import ClinicSlotTaken
from ..services import slots

# Times travel in URLs and forms as UTC minutes: 20260302T0800Z.
START_FORMAT = "%Y%m%dT%H%MZ"


def format_start(value):
    return value.astimezone(UTC).strftime(START_FORMAT)


def parse_start(text):
    try:
        return datetime.strptime(text or "", START_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


class ClinicPortal(CustomerPortal):
    """The client portal's appointments: list, detail, book, reschedule, cancel.

    Thin: parse the request, call ``clinic.booking``, render. The model checks every rule.
    """

    # ------------------------------------------------------------------------------------
    # Home tile and helpers
    # ------------------------------------------------------------------------------------
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "clinic_appointment_count" in counters:
            values["clinic_appointment_count"] = request.env["calendar.event"].sudo().search_count(
                [("clinic_patient_id", "=", request.env.user.partner_id.id),
                 ("stop", ">", fields.Datetime.now())])
        return values

    def _clinic_booking(self):
        # The rules run as superuser on the patient's behalf; they check everything first.
        return request.env["clinic.booking"].sudo()

    def _clinic_values(self, **values):
        booking = self._clinic_booking()
        settings = booking._clinic_settings()
        partner = request.env.user.partner_id
        tz = booking._clinic_tz(partner)
        lang = request.env.lang or "en_US"
        locale = babel_locale_parse(lang)
        return {
            **self._prepare_portal_layout_values(),
            "page_name": "clinic_appointments",
            "settings": settings,
            "booking_open": booking._clinic_booking_open(settings),
            "patient": partner,
            "tz": tz,
            "fmt_day": lambda d: format_date(d, format="EEEE d MMMM y", locale=locale),
            "fmt_short_day": lambda d: format_date(d, format="EEE d MMM", locale=locale),
            "fmt_time": lambda dt: dt.astimezone(tz).strftime("%H:%M"),
            "fmt_start": format_start,
            "local": lambda dt: dt.replace(tzinfo=UTC).astimezone(tz),
            **values,
        }

    def _clinic_appointment(self, event_id, access_token=None):
        """The patient's own appointment (sudo), by login or by its access token."""
        event = request.env["calendar.event"].sudo().with_context(active_test=False).browse(
            event_id).exists()
        if not event or not event.clinic_patient_id:
            raise MissingError(request.env._("This appointment does not exist."))
        if event.clinic_patient_id == request.env.user.partner_id:
            return event
        if access_token and event.access_token and consteq(event.access_token, access_token):
            return event
        raise AccessError(request.env._("This appointment is not yours."))

    def _clinic_appointment_or_404(self, event_id, access_token=None):
        try:
            return self._clinic_appointment(event_id, access_token)
        except (AccessError, MissingError) as exc:
            raise NotFound() from exc

    # ------------------------------------------------------------------------------------
    # List and detail
    # ------------------------------------------------------------------------------------
    @http.route("/my/appointments", type="http", auth="user", website=True)
    def clinic_appointments(self, **kw):
        Event = request.env["calendar.event"].sudo().with_context(active_test=False)
        partner = request.env.user.partner_id
        now = fields.Datetime.now()
        domain = [("clinic_patient_id", "=", partner.id)]
        upcoming = Event.search(domain + [("active", "=", True), ("stop", ">", now)],
                                order="start asc")
        past = Event.search(domain + ["|", ("active", "=", False), ("stop", "<=", now)],
                            order="start desc", limit=50)
        return request.render("clinic_portal.portal_my_appointments", self._clinic_values(
            upcoming=upcoming, past=past))

    @http.route("/my/appointments/<int:event_id>", type="http", auth="public", website=True)
    def clinic_appointment(self, event_id, access_token=None, message=None, **kw):
        event = self._clinic_appointment_or_404(event_id, access_token)
        booking = self._clinic_booking()
        settings = booking._clinic_settings()
        now = booking._clinic_now()
        changeable = (event._clinic_portal_status() == "upcoming" and settings["enabled"]
                      and slots.change_allowed(event.start.replace(tzinfo=UTC), now,
                                               settings["min_hours_change"]))
        invoice = event.clinic_invoice_id
        invoice_url = invoice.get_portal_url() if invoice and invoice.state == "posted" else ""
        is_owner = event.clinic_patient_id == request.env.user.partner_id
        return request.render("clinic_portal.portal_my_appointment", self._clinic_values(
            event=event, status=event._clinic_portal_status(), changeable=changeable,
            can_cancel=is_owner and changeable and settings["allow_cancel"],
            can_reschedule=(is_owner and changeable and settings["allow_reschedule"]
                            and settings["self_scheduling"]),
            invoice_url=invoice_url, message=message, access_token=access_token))

    # ------------------------------------------------------------------------------------
    # Booking: service, staff, day, time, confirm
    # ------------------------------------------------------------------------------------
    @http.route("/my/appointments/book", type="http", auth="user", website=True)
    def clinic_book(self, service=None, staff=None, page=0, day=None, **kw):
        return self._clinic_choose(service=service, staff=staff, page=page, day=day)

    @http.route("/my/appointments/<int:event_id>/reschedule", type="http", auth="user",
                website=True, methods=["GET"])
    def clinic_reschedule(self, event_id, page=0, day=None, **kw):
        event = self._clinic_appointment_or_404(event_id)
        if event.clinic_patient_id != request.env.user.partner_id:
            raise NotFound()
        return self._clinic_choose(service=str(event.clinic_product_id.id),
                                   staff=str(event.user_id.id), page=page, day=day,
                                   event=event)

    def _clinic_choose(self, service=None, staff=None, page=0, day=None, event=None,
                       error=None):
        booking = self._clinic_booking()
        partner = request.env.user.partner_id
        values = self._clinic_values(event=event, error=error, step="service")
        settings = values["settings"]
        if not values["booking_open"]:
            return request.render("clinic_portal.portal_book", values)
        if not event:
            services = booking._clinic_services(partner)
            values.update(services=services, blockers_of={
                product.id: partner._clinic_booking_blockers(product)
                for product, _offer in services})
        if not service:
            return request.render("clinic_portal.portal_book", values)
        try:
            product, offer = booking._clinic_service(partner, service)
        except (UserError, ValueError):
            values["error"] = request.env._("This service cannot be booked in the client portal.")
            return request.render("clinic_portal.portal_book", values)
        candidates = booking._clinic_staff(partner, product, settings)
        payment = booking._clinic_payment_required(partner, product, offer)
        values.update(step="staff", product=product, offer=offer, payment=payment,
                      staff_list=candidates,
                      blockers=[] if event else partner._clinic_booking_blockers(product))
        if not staff or values["blockers"] or (payment != "none" and not event):
            return request.render("clinic_portal.portal_book", values)
        if staff == "any":
            chosen = candidates
        else:
            chosen = candidates.filtered(lambda u: str(u.id) == staff)
            if not chosen:
                values["error"] = request.env._(
                    "This staff member cannot be booked for this service.")
                return request.render("clinic_portal.portal_book", values)
        try:
            page = int(page or 0)
            start, end = booking._clinic_window(partner, page, settings)
        except ValueError:
            raise NotFound() from None
        availability = booking._clinic_availability(partner, product, chosen, start, end,
                                                    settings, ignore_event=event)
        all_starts = sorted({s for starts in availability.values() for s in starts})
        days = slots.group_by_day(all_starts, values["tz"])
        limited = not all_starts and bool(booking._clinic_limited_staff(
            partner, chosen, settings, ignore_event=event))
        values.update(step="day", staff=staff, chosen=chosen, page=page, days=days,
                      window_start=start, window_last_day=(end - timedelta(days=1)).date(),
                      has_next=page + 1 < slots.MAX_WINDOW_PAGES,
                      limit_message=limited and booking._clinic_limit_message(settings))
        if day:
            try:
                values["day"] = date.fromisoformat(day)
            except ValueError:
                raise NotFound() from None
            values.update(step="time", times=days.get(values["day"], []))
        return request.render("clinic_portal.portal_book", values)

    @http.route("/my/appointments/book/confirm", type="http", auth="user", website=True,
                methods=["GET"])
    def clinic_book_confirm(self, service=None, staff=None, start=None, **kw):
        return self._clinic_confirm_page(service, staff, start)

    def _clinic_confirm_page(self, service, staff, start, event=None, error=None):
        booking = self._clinic_booking()
        partner = request.env.user.partner_id
        values = self._clinic_values(step="confirm", event=event, error=error)
        if not values["booking_open"]:
            return request.render("clinic_portal.portal_book", values)
        when = parse_start(start)
        try:
            product, offer = booking._clinic_service(partner, service)
        except (UserError, ValueError):
            raise NotFound() from None
        staff_user = request.env["res.users"]
        if staff and staff != "any":
            staff_user = booking._clinic_staff(partner, product).filtered(
                lambda u: str(u.id) == staff)
            if not staff_user:
                raise NotFound()
        if not when:
            raise NotFound()
        values.update(product=product, offer=offer, staff=staff or "any",
                      staff_user=staff_user, start=when,
                      payment=booking._clinic_payment_required(partner, product, offer),
                      blockers=[] if event else partner._clinic_booking_blockers(product))
        return request.render("clinic_portal.portal_book_confirm", values)

    @http.route("/my/appointments/book/confirm", type="http", auth="user", website=True,
                methods=["POST"])
    def clinic_book_submit(self, service=None, staff=None, start=None, **kw):
        booking = self._clinic_booking()
        partner = request.env.user.partner_id
        when = parse_start(start)
        try:
            product, _offer = booking._clinic_service(partner, service)
            staff_user = request.env["res.users"]
            if staff and staff != "any":
                staff_user = request.env["res.users"].sudo().browse(
                    int(staff) if staff.isdigit() else 0).exists()
                if not staff_user:
                    raise UserError(request.env._(
                        "This staff member cannot be booked for this service."))
            if not when:
                raise UserError(request.env._("Choose a time from the list."))
            # The payment step goes here: redirect to pay when the service needs it.
            event = booking._clinic_book(partner, product, when, staff_user=staff_user)
        except UserError as exc:
            return self._clinic_refused(exc, service, staff, start)
        return request.redirect(f"{event._clinic_portal_url()}?message=booked", code=303)

    @http.route("/my/appointments/<int:event_id>/reschedule", type="http", auth="user",
                website=True, methods=["POST"])
    def clinic_reschedule_submit(self, event_id, start=None, **kw):
        event = self._clinic_appointment_or_404(event_id)
        partner = request.env.user.partner_id
        if event.clinic_patient_id != partner:
            raise NotFound()
        when = parse_start(start)
        try:
            if not when:
                raise UserError(request.env._("Choose a time from the list."))
            self._clinic_booking()._clinic_reschedule(partner, event, when)
        except (UserError, AccessError) as exc:
            return self._clinic_refused(exc, str(event.clinic_product_id.id),
                                        str(event.user_id.id), start, event=event)
        return request.redirect(f"{event._clinic_portal_url()}?message=rescheduled", code=303)

    @http.route("/my/appointments/<int:event_id>/reschedule/confirm", type="http",
                auth="user", website=True, methods=["GET"])
    def clinic_reschedule_confirm(self, event_id, start=None, **kw):
        event = self._clinic_appointment_or_404(event_id)
        if event.clinic_patient_id != request.env.user.partner_id:
            raise NotFound()
        return self._clinic_confirm_page(str(event.clinic_product_id.id), str(event.user_id.id),
                                         start, event=event)

    @http.route("/my/appointments/<int:event_id>/cancel", type="http", auth="user",
                website=True, methods=["POST"])
    def clinic_cancel_submit(self, event_id, reason=None, **kw):
        event = self._clinic_appointment_or_404(event_id)
        partner = request.env.user.partner_id
        if event.clinic_patient_id != partner:
            raise NotFound()
        try:
            self._clinic_booking()._clinic_cancel(partner, event, reason)
        except (UserError, AccessError) as exc:
            return request.render("clinic_portal.portal_my_appointment", self._clinic_values(
                event=event, status=event._clinic_portal_status(), changeable=False,
                can_cancel=False, can_reschedule=False, invoice_url="", message=None,
                access_token=None, error=exc.args[0]))
        return request.redirect(f"{event._clinic_portal_url()}?message=cancelled", code=303)

    def _clinic_refused(self, exc, service, staff, start, event=None):
        """Show why the booking was refused; a taken time goes back to the day's times."""
        message = exc.args[0] if exc.args else str(exc)
        when = parse_start(start)
        if isinstance(exc, ClinicSlotTaken) and when:
            booking = self._clinic_booking()
            settings = booking._clinic_settings()
            tz = booking._clinic_tz(request.env.user.partner_id)
            day = when.astimezone(tz).date()
            first, _after = slots.search_window(booking._clinic_now().astimezone(tz).date(),
                                                settings["start_days"], settings["range_days"])
            page = min(max((day - first).days // settings["range_days"], 0),
                       slots.MAX_WINDOW_PAGES - 1)
            return self._clinic_choose(service=service, staff=staff, event=event, error=message,
                                       page=page, day=day.isoformat())
        values = self._clinic_values(step="refused", error=message, event=event)
        return request.render("clinic_portal.portal_book", values)
