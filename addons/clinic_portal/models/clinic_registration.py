from odoo import api, fields, models
from odoo.tools import SQL

from ..services import registration_rules
from .clinic_registration_field import REGISTRATION_FIELDS

BAD_CHOICE = "bad_choice"


class ClinicRegistration(models.AbstractModel):
    """New clients registering themselves in the client portal."""

    _name = "clinic.registration"
    _description = "Client portal self-registration"

    @api.model
    def _form_fields(self, company):
        """(shown, required) optional field names of the company's registration form."""
        rows = company.sudo().clinic_registration_field_ids
        return ({r.field_name for r in rows if r.show},
                {r.field_name for r in rows if r.required})

    @api.model
    def _register_client(self, values, company):
        """Validate and create a new client; returns ``(partner, errors, known)``.

        ``errors`` maps field names to rule codes (see registration_rules); ``known`` is true
        when the person is already a client, in which case nothing is created.
        """
        company = company.sudo()  # the settings are for staff; the public reads them here
        shown, required = self._form_fields(company)
        today = fields.Date.context_today(self)
        errors = registration_rules.validate(values, shown, required, today)
        errors.update(self._choice_errors(values, shown))
        if errors:
            return self.env["res.partner"], errors, False
        clean = {name: (values.get(name) or "").strip() for name in
                 ("first_name", "last_name", "mobile", *shown)}
        mobile = registration_rules.normalize_phone(clean["mobile"])
        # Double clicks and second tabs submit the same mobile: serialise them, then look again.
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", 7421,
                                mobile.lstrip("+")))
        if self._find_known(clean.get("national_id"), mobile, clean.get("email")):
            return self.env["res.partner"], {}, True
        partner = self.env["res.partner"].sudo().create(
            self._partner_values(clean, shown, company))
        partner.signup_prepare()
        return partner, {}, False

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
            if not fund.isdigit() or int(fund) not in funds:
                errors["health_fund"] = BAD_CHOICE
        return errors

    @api.model
    def _find_known(self, national_id, mobile, email):
        """Someone already registered: same national ID, same mobile, or a user's e-mail."""
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        if national_id and Partner.search_count([("clinic_national_id", "=", national_id)],
                                                limit=1):
            return True
        digits = mobile.lstrip("+")
        self.env.cr.execute(SQL(
            """SELECT 1 FROM res_partner
                WHERE regexp_replace(COALESCE(phone, ''), '[^0-9]', '', 'g') = %s LIMIT 1""",
            digits))
        if self.env.cr.fetchone():
            return True
        if email:
            users = self.env["res.users"].sudo().with_context(active_test=False)
            if users.search_count(["|", ("login", "=ilike", email), ("email", "=ilike", email)],
                                  limit=1):
                return True
        return False

    @api.model
    def _partner_values(self, clean, shown, company):
        branch = company._clinic_portal_new_client_company()
        vals = {
            "name": f"{clean['first_name']} {clean['last_name']}",
            "phone": clean["mobile"],
            "company_id": branch.id,
            "clinic_status_id": company.clinic_portal_new_client_status_id.id,
            "clinic_department_id": company.clinic_portal_new_client_department_id.id,
            "lang": self.env.lang,
        }
        for name in shown:
            value = clean.get(name)
            if not value:
                continue
            field_name = REGISTRATION_FIELDS[name]
            vals[field_name] = int(value) if name == "health_fund" else value
        return vals
