from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class CalendarEvent(models.Model):
    """An appointment that is a session of a treatment plan, and whether the patient came."""

    _inherit = "calendar.event"  # pylint: disable=consider-merging-classes-inherited

    clinic_plan_line_id = fields.Many2one(
        "clinic.treatment.plan.line", string="Treatment plan session", index="btree_not_null",
        ondelete="restrict", copy=False,
        help="The line of the patient's treatment plan this appointment is a session of.")
    clinic_plan_id = fields.Many2one(
        related="clinic_plan_line_id.plan_id", string="Treatment plan")
    clinic_no_show = fields.Boolean(
        string="No-show", copy=False, tracking=True,
        help="The patient did not come. A session of a treatment plan stays used unless it is "
             "given back.")
    clinic_plan_session_returned = fields.Boolean(
        string="Session given back", copy=False, tracking=True,
        help="This appointment no longer uses a session of the treatment plan: the patient "
             "may book it again.")

    @api.constrains("clinic_plan_line_id", "clinic_patient_id")
    def _check_clinic_plan_patient(self):
        for event in self.filtered("clinic_plan_line_id"):
            if event.clinic_plan_line_id.partner_id != event.clinic_patient_id:
                raise ValidationError(self.env._(
                    "A session of %(plan)s can only be an appointment of its patient.",
                    plan=event.clinic_plan_line_id.plan_id.name))

    clinic_started = fields.Boolean(
        string="Started", compute="_compute_clinic_started",
        help="The appointment's time has come: only then may the patient be marked a no-show.")
    clinic_patient_phone = fields.Char(
        related="clinic_patient_id.phone", string="Patient's phone")

    @api.depends("start")
    def _compute_clinic_started(self):
        now = fields.Datetime.now()
        for event in self:
            event.clinic_started = bool(event.start) and event.start <= now

    def action_clinic_mark_no_show(self):
        if self.filtered(lambda event: not event.clinic_started):
            raise UserError(self.env._(
                "An appointment that has not started yet cannot be marked a no-show."))
        self.write({"clinic_no_show": True})

    def action_clinic_mark_attended(self):
        self.write({"clinic_no_show": False})

    def action_clinic_give_session_back(self):
        if self.filtered(lambda event: not event.clinic_plan_line_id):
            raise UserError(self.env._("Only a session of a treatment plan can be given back."))
        self.write({"clinic_plan_session_returned": True})

    def _clinic_plan_session_number(self):
        """``n`` of "Session n of m": the rank of this appointment among the live sessions of
        its plan line by start; 0 when it holds no session (cancelled, given back)."""
        self.ensure_one()
        line = self.clinic_plan_line_id
        if not line or not self.active or self.clinic_plan_session_returned:
            return 0
        live = self.env["calendar.event"].sudo().search(
            line._live_domain(line), order="start, id").ids
        return live.index(self.id) + 1 if self.id in live else 0

    def _clinic_booked_message(self):
        if self.clinic_plan_line_id:
            return self.env._("Session of treatment plan %(plan)s booked by %(patient)s from the "
                              "client portal.", plan=self.clinic_plan_line_id.plan_id.name,
                              patient=self.clinic_patient_id.name)
        return super()._clinic_booked_message()

    def _clinic_mail_price(self):
        # A session of a plan is paid with the plan, not at its own price.
        if self.clinic_plan_line_id:
            return ""
        return super()._clinic_mail_price()

    def _clinic_plan_session_label(self):
        """"Session 3 of 10 — TP/2026/0001", or the plan alone when this appointment holds
        no session (cancelled, given back); '' for an appointment of no plan."""
        self.ensure_one()
        line = self.sudo().clinic_plan_line_id
        if not line:
            return ""
        number = self._clinic_plan_session_number()
        if not number:
            return self.env._("Treatment plan %(plan)s", plan=line.plan_id.name)
        return self.env._("Session %(number)s of %(total)s — %(plan)s", number=number,
                          total=line.sessions, plan=line.plan_id.name)
