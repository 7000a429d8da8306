from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Per-company client portal settings: see res.company for their meaning.
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
