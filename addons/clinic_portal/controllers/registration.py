from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..const import ALWAYS_ASKED, REGISTRATION_FIELDS, REGISTRATION_THROTTLED
from ..services import registration_rules as rules


def error_messages(env):
    """The message of each registration rule's error code, in ``env``'s language."""
    return {
        rules.REQUIRED: env._("This field is required."),
        rules.BAD_PHONE: env._("Enter a phone number of 9 to 15 digits."),
        rules.BAD_EMAIL: env._("Enter a valid e-mail address."),
        rules.BAD_NATIONAL_ID: env._("This national ID number is not valid (check digit)."),
        rules.BAD_DATE: env._("Enter the date as year-month-day."),
        rules.FUTURE_DATE: env._("The date of birth must be in the past."),
        rules.TOO_OLD: env._("Check the year of birth."),
        rules.TOO_LONG: env._("This is too long."),
        rules.BAD_TEXT: env._("Remove the special characters from this field."),
        "bad_choice": env._("Choose one of the options."),
        rules.NOT_A_CHILD: env._("Add a child under 18 here; the clinic links an adult "
                                 "family member with their consent."),
    }


class ClinicRegistrationController(http.Controller):
    def _error_messages(self):
        return error_messages(request.env)

    def _render(self, company, values=None, errors=None):
        shown, required = request.env["clinic.registration"].sudo()._form_fields(company)
        labels = dict(request.env["clinic.registration.field"]._fields["field_name"]
                      ._description_selection(request.env))
        messages = self._error_messages()
        return request.render("clinic_portal.registration_page", {
            "values": values or {},
            "errors": {name: messages.get(code, code) for name, code in (errors or {}).items()},
            # The login first, then the clinic's own choice of fields.
            "optional_fields": [*ALWAYS_ASKED, *(name for name in REGISTRATION_FIELDS
                                                if name in shown and name not in ALWAYS_ASKED)],
            "required_fields": required,
            "labels": labels,
            "genders": request.env["res.partner"]._fields["clinic_gender"]
            ._description_selection(request.env),
            "health_funds": request.env["clinic.health.fund"].sudo().search([]),
        })

    @http.route("/clinic/register", type="http", auth="public", website=True, sitemap=False,
                methods=["GET", "POST"])
    def register(self, **post):
        company = request.website.company_id
        if not company._clinic_portal_policy().registration_open:
            raise NotFound()
        if not request.env.user._is_public():
            return request.redirect("/my")
        if request.httprequest.method != "POST":
            return self._render(company)
        values = {name: post.get(name, "") for name in
                  ("first_name", "last_name", "mobile", *REGISTRATION_FIELDS)}
        errors, outcome = request.env["clinic.registration"].sudo()._register_client(
            values, company, request.httprequest.remote_addr, request.cookies.get("tz"))
        if errors:
            return self._render(company, values, errors)
        if outcome == REGISTRATION_THROTTLED:
            return request.render("clinic_portal.registration_throttled", status=429)
        # The same page whether the person was new or already a client.
        return request.redirect("/clinic/register/received")

    @http.route("/clinic/register/received", type="http", auth="public", website=True,
                sitemap=False, readonly=True)
    def registration_received(self):
        if not request.website.company_id._clinic_portal_policy().registration_open:
            raise NotFound()
        return request.render("clinic_portal.registration_received")


class ClinicFormsPortal(CustomerPortal):
    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        user = request.env.user
        # "Enable client portal" off closes the whole client portal, forms included.
        values["clinic_portal_open"] = request.env.company._clinic_portal_policy().enabled
        if values["clinic_portal_open"] and not user._is_public():
            values["clinic_forms_due"] = user.partner_id._clinic_forms_due()
            # Asked only where the notice shows them (the portal home).
            values["clinic_family_forms_due"] = lambda: [
                (member, forms) for member in user.partner_id._clinic_dependants()
                if (forms := member._clinic_forms_due())]
        return values
