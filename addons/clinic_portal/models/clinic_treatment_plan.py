from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import const


class ClinicTreatmentPlan(models.Model):
    """A patient's treatment plan: series of sessions of services, e.g. ten physiotherapy
    sessions, that the patient books one by one in the client portal.

    The plan is paid or invoiced as a whole by the clinic: booking its sessions takes no
    payment. Its lines count the sessions booked, done and left (``clinic.treatment.plan.line``).
    """

    _name = "clinic.treatment.plan"
    _description = "Treatment plan"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/",
        help="Given from the treatment plans' sequence when the plan is created.")
    partner_id = fields.Many2one(
        "res.partner", string="Patient", required=True, index=True, tracking=True,
        ondelete="restrict", domain=[("is_company", "=", False)])
    company_id = fields.Many2one(
        "res.company", required=True, index=True,
        compute="_compute_company_id", store=True, readonly=False, precompute=True,
        help="The clinic of the plan: the patient's branch, else the current company.")
    state = fields.Selection(
        selection=[(const.PLAN_DRAFT, "Draft"), (const.PLAN_ACTIVE, "Active"),
                   (const.PLAN_DONE, "Done"), (const.PLAN_CANCELLED, "Cancelled")],
        string="Status", required=True, default=const.PLAN_DRAFT, readonly=True,
        copy=False, tracking=True,
        help="Only the sessions of an active plan, within its validity, are booked in the "
             "client portal.")
    date_start = fields.Date(
        string="Valid from", required=True, tracking=True,
        default=lambda self: self.env["clinic.availability.engine"]._clinic_today(self.env.company))
    date_end = fields.Date(
        string="Valid until", tracking=True,
        help="Last day the patient may book sessions of this plan online. Empty: no end.")
    user_id = fields.Many2one(
        "res.users", string="Responsible", default=lambda self: self.env.user, tracking=True,
        domain=[("share", "=", False)])
    note = fields.Html(string="Notes")
    line_ids = fields.One2many(
        "clinic.treatment.plan.line", "plan_id", string="Sessions", copy=True)
    sessions_total = fields.Integer(
        string="Total sessions", compute="_compute_sessions")
    sessions_left = fields.Integer(
        string="Sessions left", compute="_compute_sessions")
    appointment_count = fields.Integer(
        string="Appointments", compute="_compute_sessions")

    @api.depends("partner_id")
    def _compute_company_id(self):
        for plan in self:
            plan.company_id = plan.partner_id.company_id or plan.company_id or self.env.company

    @api.depends("line_ids.sessions", "line_ids.sessions_left", "line_ids.appointment_ids")
    def _compute_sessions(self):
        for plan in self:
            plan.sessions_total = sum(plan.line_ids.mapped("sessions"))
            plan.sessions_left = sum(plan.line_ids.mapped("sessions_left"))
            plan.appointment_count = len(plan.line_ids.appointment_ids)

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for plan in self:
            if plan.date_end and plan.date_end < plan.date_start:
                raise ValidationError(self.env._(
                    "The plan %(plan)s cannot end before it starts.", plan=plan.name))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code(
                    "clinic.treatment.plan") or "/"
        return super().create(vals_list)

    # ------------------------------------------------------------------------------------
    # States: one method per transition, all through _set_state
    # ------------------------------------------------------------------------------------
    def _set_state(self, allowed, target):
        for plan in self:
            if plan.state not in allowed:
                raise UserError(self.env._(
                    "The plan %(plan)s is %(state)s: it cannot be set to %(target)s.",
                    plan=plan.name, state=plan._state_label(plan.state),
                    target=plan._state_label(target)))
        self.write({"state": target})

    def _state_label(self, state):
        return dict(self._fields["state"]._description_selection(self.env))[state]

    def action_activate(self):
        for plan in self:
            if not plan.line_ids:
                raise UserError(self.env._(
                    "Add the sessions of the plan %(plan)s before activating it.",
                    plan=plan.name))
        self._set_state((const.PLAN_DRAFT,), const.PLAN_ACTIVE)

    def action_done(self):
        self._set_state((const.PLAN_ACTIVE,), const.PLAN_DONE)

    def action_cancel(self):
        self._set_state((const.PLAN_DRAFT, const.PLAN_ACTIVE), const.PLAN_CANCELLED)

    def action_draft(self):
        self._set_state((const.PLAN_CANCELLED,), const.PLAN_DRAFT)

    def action_view_appointments(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Appointments of %(plan)s", plan=self.name),
            "res_model": "calendar.event",
            "view_mode": "list,form,calendar",
            "domain": [("clinic_plan_line_id", "in", self.line_ids.ids)],
            "context": {"active_test": False},
        }

    # ------------------------------------------------------------------------------------
    # The client portal
    # ------------------------------------------------------------------------------------
    def _is_bookable_now(self):
        """Whether the patient may book sessions of this plan now: its validity is in the
        clinic's days, so a plan valid from today is open whatever the patient's time zone."""
        self.ensure_one()
        return self._is_bookable_on(self.env["clinic.availability.engine"]._clinic_today(
            self.company_id))

    def _is_bookable_on(self, day):
        """Whether the patient may book sessions of this plan on ``day`` (a date)."""
        self.ensure_one()
        return (self.state == const.PLAN_ACTIVE and self.date_start <= day
                and (not self.date_end or day <= self.date_end))
