from odoo import api, fields, models
from odoo.exceptions import AccessError


class ClinicPortalSettings(models.TransientModel):
    """The client portal's settings screen, for the clinic administrator.

    Odoo's own settings screen (res.config.settings) is for system administrators only;
    a clinic administrator configures the portal here instead, under Clinic >
    Configuration. The screen writes the portal's settings of one of the user's own
    companies, and nothing else of that company.
    """

    _name = "clinic.portal.settings"
    _description = "Client portal settings"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True,
        default=lambda self: self.env.company)

    # The company's client portal settings: see res.company for their meaning.
    clinic_portal_enabled = fields.Boolean(
        related="company_id.clinic_portal_enabled", readonly=False)
    clinic_portal_self_scheduling = fields.Boolean(
        related="company_id.clinic_portal_self_scheduling", readonly=False)
    clinic_portal_min_hours_new = fields.Integer(
        related="company_id.clinic_portal_min_hours_new", readonly=False)
    clinic_portal_min_hours_change = fields.Integer(
        related="company_id.clinic_portal_min_hours_change", readonly=False)
    clinic_portal_reminder_hours = fields.Integer(
        related="company_id.clinic_portal_reminder_hours", readonly=False)
    clinic_portal_prevent_gaps = fields.Boolean(
        related="company_id.clinic_portal_prevent_gaps", readonly=False)
    clinic_portal_allow_cancel = fields.Boolean(
        related="company_id.clinic_portal_allow_cancel", readonly=False)
    clinic_portal_allow_reschedule = fields.Boolean(
        related="company_id.clinic_portal_allow_reschedule", readonly=False)
    clinic_portal_makeup_sessions = fields.Integer(
        related="company_id.clinic_portal_makeup_sessions", readonly=False)
    clinic_portal_skip_payment_with_balance = fields.Boolean(
        related="company_id.clinic_portal_skip_payment_with_balance", readonly=False)
    clinic_portal_cancel_refund = fields.Selection(
        related="company_id.clinic_portal_cancel_refund", readonly=False)
    clinic_portal_future_limit = fields.Integer(
        related="company_id.clinic_portal_future_limit", readonly=False)
    clinic_portal_future_limit_scope = fields.Selection(
        related="company_id.clinic_portal_future_limit_scope", readonly=False)
    clinic_portal_search_start_days = fields.Integer(
        related="company_id.clinic_portal_search_start_days", readonly=False)
    clinic_portal_search_range_days = fields.Integer(
        related="company_id.clinic_portal_search_range_days", readonly=False)
    clinic_portal_slot_step = fields.Integer(
        related="company_id.clinic_portal_slot_step", readonly=False)
    clinic_portal_allow_registration = fields.Boolean(
        related="company_id.clinic_portal_allow_registration", readonly=False)
    clinic_portal_prevent_parallel = fields.Boolean(
        related="company_id.clinic_portal_prevent_parallel", readonly=False)
    clinic_portal_treating_team_only = fields.Boolean(
        related="company_id.clinic_portal_treating_team_only", readonly=False)
    clinic_portal_hold_minutes = fields.Integer(
        related="company_id.clinic_portal_hold_minutes", readonly=False)
    clinic_portal_issuer_journal_id = fields.Many2one(
        related="company_id.clinic_portal_issuer_journal_id", readonly=False)
    clinic_portal_plan_staff_only = fields.Boolean(
        related="company_id.clinic_portal_plan_staff_only", readonly=False)
    clinic_portal_service_types = fields.Selection(
        related="company_id.clinic_portal_service_types", readonly=False)
    clinic_portal_plan_alias = fields.Char(
        related="company_id.clinic_portal_plan_alias", readonly=False)
    clinic_portal_new_client_company_id = fields.Many2one(
        related="company_id.clinic_portal_new_client_company_id", readonly=False)
    clinic_portal_new_client_department_id = fields.Many2one(
        related="company_id.clinic_portal_new_client_department_id", readonly=False)
    clinic_portal_new_client_status_id = fields.Many2one(
        related="company_id.clinic_portal_new_client_status_id", readonly=False)
    clinic_registration_field_ids = fields.One2many(
        related="company_id.clinic_registration_field_ids", readonly=False)
    clinic_mandatory_form_ids = fields.One2many(
        related="company_id.clinic_mandatory_form_ids", readonly=False)

    def _check_clinic_settings_access(self, companies):
        if self.env.is_superuser():
            return
        if not self.env.user.has_group("clinic_portal.group_clinic_admin"):
            raise AccessError(self.env._(
                "Only clinic administrators can change the client portal settings."))
        if companies - self.env.user.company_ids:
            raise AccessError(self.env._(
                "You can only change the client portal settings of your own companies."))

    @api.model_create_multi
    def create(self, vals_list):
        companies = self.env["res.company"].browse(
            {vals.get("company_id") or self.env.company.id for vals in vals_list})
        self._check_clinic_settings_access(companies)
        # The related fields write to the company: as superuser, since the clinic
        # administrator may change these fields of the company, not the company itself.
        return super(ClinicPortalSettings, self.sudo()).create(vals_list).sudo(False)

    def write(self, vals):
        companies = self.company_id
        if vals.get("company_id"):
            companies |= self.env["res.company"].browse(vals["company_id"])
        self._check_clinic_settings_access(companies)
        return super(ClinicPortalSettings, self.sudo()).write(vals)

    def execute(self):
        """Save: the values are written by the record's creation; reload the screen."""
        self.ensure_one()
        return {"type": "ir.actions.client", "tag": "reload"}

    def cancel(self):
        """Discard: open the screen again, with the values the company has."""
        return self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_portal.clinic_portal_settings_action")
