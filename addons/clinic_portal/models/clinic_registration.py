import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..const import (
    ALWAYS_ASKED,
    FAMILY_MINOR,
    LOCK_REGISTRATION,
    REGISTRATION_ATTEMPTS_PER_HOUR,
    REGISTRATION_FIELDS,
    REGISTRATION_RECEIVED,
    REGISTRATION_THROTTLED,
)
from ..services import family, registration_rules
from ..services.text import parse_date, parse_id

BAD_CHOICE = "bad_choice"


class ClinicRegistration(models.AbstractModel):
    """New clients registering themselves in the client portal."""

    _name = "clinic.registration"
    _description = "Client portal self-registration"

    @api.model
    def _form_fields(self, company):
        """(shown, required) optional field names of the company's registration form.

        The e-mail is always among both: the link to choose a password goes there, and it is
        the client's login, the only way to an account.
        """
        rows = company.sudo().clinic_registration_field_ids
        return ({r.field_name for r in rows if r.show} | set(ALWAYS_ASKED),
                {r.field_name for r in rows if r.required} | set(ALWAYS_ASKED))

    @api.model
    def _register_client(self, values, company, client_address=None, browser_tz=None):
        """Validate a registration and act on it; returns ``(errors, outcome)``.

        ``errors`` maps field names to rule codes (see registration_rules). Otherwise the
        outcome is REGISTRATION_RECEIVED, whether the person was new (a contact is created and
        invited by e-mail) or already known (they, or the clinic, are told): the page that
        follows must not tell a stranger who is a client. REGISTRATION_THROTTLED when the
        hour's share is used up. ``browser_tz`` (the browser's time zone) becomes the new
        contact's, so that times are shown in it from the first page.
        """
        company = company.sudo()  # the settings are for staff; the public reads them here
        shown, required = self._form_fields(company)
        today = fields.Date.context_today(self)
        errors = registration_rules.validate(values, shown, required, today)
        errors.update(self._choice_errors(values, shown))
        if errors:
            return errors, None
        clean, mobile, national_id = self._clean(values, shown, company)
        mobile = mobile or clean["mobile"]
        email = registration_rules.email_key(clean.get("email"))
        if self.env["clinic.registration.attempt"].sudo()._throttled(
                client_address, mobile, national_id, email):
            return {}, REGISTRATION_THROTTLED
        # Double clicks and second tabs submit the same mobile: serialise them, then look again.
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                                LOCK_REGISTRATION, mobile))
        known = self._find_known(national_id, mobile, email)
        if known:
            known._clinic_tell_of_registration_attempt()
            return {}, REGISTRATION_RECEIVED
        vals = self._partner_values(clean, shown, company)
        if browser_tz in pytz.all_timezones_set:
            vals["tz"] = browser_tz
        partner = self.env["res.partner"].sudo().create(vals)
        partner._clinic_invite_new_client()
        return {}, REGISTRATION_RECEIVED

    # ------------------------------------------------------------------------------------
    # A client adds their child
    # ------------------------------------------------------------------------------------
    @api.model
    def _child_form_fields(self, company):
        """(shown, required) optional field names of the form a client adds their child
        with: the clinic's registration fields without the login (a child has none), the
        date of birth always. The child's own mobile is asked too, required never."""
        shown, required = self._form_fields(company)
        return ((shown - set(ALWAYS_ASKED)) | {"birthdate"},
                required - set(ALWAYS_ASKED) - {"birthdate"})

    @api.model
    def _add_child(self, guardian, values, company):
        """Validate the child's details that ``guardian`` gave and add the child: a client of
        the clinic of their own (its new-client status, branch and department), linked to
        ``guardian`` since today. Returns ``(errors, child)``.

        Details that match an existing client (national ID, mobile) change nothing of that
        client and link nothing to them, and the guardian sees the same outcome: the child
        they described is added, and staff get a task to check whether it is the existing
        client (then they merge the two, and the link follows) or a mistake.
        """
        company = company.sudo()
        guardian = guardian.sudo()
        shown, required = self._child_form_fields(company)
        today = fields.Date.context_today(self)
        errors = registration_rules.validate(values, {*shown, "mobile"}, required, today,
                                             always=registration_rules.CHILD_ALWAYS)
        errors.update(self._choice_errors(values, shown))
        if not errors and not family.is_minor(parse_date(values["birthdate"].strip()), today):
            errors["birthdate"] = registration_rules.NOT_A_CHILD
        if errors:
            return errors, None
        clean, mobile, national_id = self._clean(values, shown, company)
        # A double submit adds one child: serialise the guardian's additions, then look again.
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, %s)",
                                LOCK_REGISTRATION, guardian.id))
        self._check_child_additions(guardian)
        name = f"{clean['first_name']} {clean['last_name']}"
        twin = guardian._clinic_dependants().filtered(
            lambda child: child.name == name
            and child.clinic_birthdate == parse_date(clean["birthdate"]))
        if twin:
            return {}, twin[:1]
        vals = self._partner_values(clean, shown, company)
        vals.update(phone=clean["mobile"] or False, tz=guardian.tz, lang=guardian.lang)
        child = self.env["res.partner"].sudo().create(vals)
        self.env["clinic.family.link"].sudo().create(
            {"guardian_id": guardian.id, "patient_id": child.id, "kind": FAMILY_MINOR})
        known = self._find_known_child(national_id, mobile, guardian._clinic_family() | child)
        if known:
            child._clinic_family_match_task(known, guardian)
        return {}, child

    @api.model
    def _check_child_additions(self, guardian):
        """At most as many children an hour as registrations from one address: a login is
        no licence to fill the clinic with contacts.

        :raises UserError: the hour's share is used up
        """
        hour_ago = fields.Datetime.subtract(fields.Datetime.now(), hours=1)
        added = self.env["clinic.family.link"].sudo().search_count(
            [("guardian_id", "=", guardian.id), ("create_date", ">=", hour_ago)],
            limit=REGISTRATION_ATTEMPTS_PER_HOUR)
        if added >= REGISTRATION_ATTEMPTS_PER_HOUR:
            raise UserError(self.env._(
                "You added several family members in the last hour. Please try again later, "
                "or contact the clinic."))

    @api.model
    def _find_known_child(self, national_id, mobile, exclude):
        """An existing client with the child's national ID or mobile, other than ``exclude``
        (the guardian, whose own phone a child often gives, and the child just added)."""
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        for field, key in (("clinic_national_id_key", national_id),
                           ("clinic_phone_key", mobile)):
            if key:
                found = Partner.search([(field, "=", key), ("id", "not in", exclude.ids)],
                                       limit=1)
                if found:
                    return found
        return Partner

    @api.model
    def _clean(self, values, shown, company):
        """``(clean, mobile key, national ID key)`` of valid ``values``: the text of each
        field shown, trimmed; the mobile read in the country of the company's new clients
        ('' when none is given), the national ID in its compact form."""
        clean = {name: (values.get(name) or "").strip() for name in
                 ("first_name", "last_name", "mobile", *shown)}
        region = (company._clinic_portal_new_client_company().country_id
                  or company.country_id).code
        mobile = registration_rules.phone_key(clean["mobile"], region) if clean["mobile"] else ""
        return clean, mobile, registration_rules.national_id_key(clean.get("national_id"))

    @api.model
    def _choice_errors(self, values, shown):
        """Gender and health fund must be one of the offered choices (tampered forms)."""
        errors = {}
        gender = (values.get("gender") or "").strip()
        genders = dict(self.env["res.partner"]._fields["clinic_gender"].selection)
        if "gender" in shown and gender and gender not in genders:
            errors["gender"] = BAD_CHOICE
        fund = (values.get("health_fund") or "").strip()
        if "health_fund" in shown and fund:
            funds = self.env["clinic.health.fund"].sudo().search([]).ids
            if parse_id(fund) not in funds:
                errors["health_fund"] = BAD_CHOICE
        return errors

    @api.model
    def _find_known(self, national_id, mobile, email):
        """The client these details belong to: same national ID, mobile or e-mail.

        Each is compared in its normalised form, exactly (an index lookup, no pattern).
        """
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        if national_id:
            found = Partner.search([("clinic_national_id_key", "=", national_id)], limit=1)
            if found:
                return found
        found = Partner.search([("clinic_phone_key", "=", mobile)], limit=1)
        if found or not email:
            return found
        user = self.env["res.users"].sudo().with_context(active_test=False).search(
            [("login", "=", email)], limit=1)
        return user.partner_id or Partner.search([("email_normalized", "=", email)], limit=1)

    @api.model
    def _partner_values(self, clean, shown, company):
        branch = company._clinic_portal_new_client_company()
        vals = {
            "name": f"{clean['first_name']} {clean['last_name']}",
            "phone": clean["mobile"],
            "country_id": (branch.country_id or company.country_id).id,
            "company_id": branch.id,
            "clinic_status_id": company.clinic_portal_new_client_status_id.id,
            "clinic_department_id": company.clinic_portal_new_client_department_id.id,
            "lang": self.env.lang,
        }
        for name in shown:
            value = clean.get(name)
            if not value:
                continue
            if name == "health_fund":
                value = parse_id(value)
            elif name == "national_id":
                value = registration_rules.national_id_key(value)
            vals[REGISTRATION_FIELDS[name]] = value
        return vals
