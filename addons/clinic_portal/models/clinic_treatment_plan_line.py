from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .. import db


class ClinicTreatmentPlanLine(models.Model):
    """A series of sessions of one service in a treatment plan, and how many are used.

    A session is *booked* by a live appointment of the line: active (a cancelled appointment
    is archived, so it gives its session back) and not marked "Session given back". A no-show
    keeps its session booked unless the staff give it back. A session is *done* when its
    appointment is booked, over, and not a no-show. Sessions *left* = sessions - booked.
    """

    _name = "clinic.treatment.plan.line"
    _description = "Treatment plan line"
    _order = "plan_id, sequence, id"

    plan_id = fields.Many2one(
        "clinic.treatment.plan", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    partner_id = fields.Many2one(related="plan_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    state = fields.Selection(related="plan_id.state")
    product_id = fields.Many2one(
        "product.product", string="Service", required=True, ondelete="restrict",
        domain=[("type", "=", "service"), ("clinic_duration_minutes", ">", 0)],
        help="A service with a duration: each session is booked for that duration.")
    duration_minutes = fields.Integer(
        related="product_id.clinic_duration_minutes", string="Minutes")
    sessions = fields.Integer(required=True, default=1)
    staff_user_ids = fields.Many2many(
        "res.users", "clinic_treatment_plan_line_staff_rel", "line_id", "user_id",
        string="Staff", domain=[("share", "=", False)],
        help="Who gives these sessions. With \"Restrict plan sessions to the plan's staff\", "
             "the client portal books them only with these staff members. Empty: any staff "
             "member bookable for the service.")
    appointment_ids = fields.One2many(
        "calendar.event", "clinic_plan_line_id", string="Appointments",
        context={"active_test": False})
    sessions_booked = fields.Integer(
        string="Booked", compute="_compute_sessions",
        help="Appointments of these sessions, past and upcoming, not cancelled and not "
             "given back.")
    sessions_done = fields.Integer(
        string="Done", compute="_compute_sessions",
        help="Booked sessions that are over and were not missed (no-show).")
    sessions_left = fields.Integer(
        string="Left", compute="_compute_sessions",
        help="Sessions the patient may still book.")

    _sessions_positive = models.Constraint(
        "CHECK(sessions > 0)", "A plan line needs at least one session.")

    @api.depends("sessions", "appointment_ids.active", "appointment_ids.stop",
                 "appointment_ids.clinic_no_show", "appointment_ids.clinic_plan_session_returned")
    def _compute_sessions(self):
        lines = self.filtered("id")
        booked, done = self._session_counts(lines)
        for line in self:
            line.sessions_booked = booked.get(line.id, 0)
            line.sessions_done = done.get(line.id, 0)
            line.sessions_left = max(line.sessions - line.sessions_booked, 0)

    @api.model
    def _session_counts(self, lines):
        """``({line id: booked}, {line id: done})``, in two grouped queries."""
        if not lines:
            return {}, {}
        events = self.env["calendar.event"].sudo()
        live = self._live_domain(lines)
        booked = events._read_group(live, ["clinic_plan_line_id"], ["__count"])
        done = events._read_group(
            live + [("stop", "<=", fields.Datetime.now()), ("clinic_no_show", "=", False)],
            ["clinic_plan_line_id"], ["__count"])
        return ({line.id: count for line, count in booked},
                {line.id: count for line, count in done})

    @api.model
    def _live_domain(self, lines):
        """The appointments that hold a session of ``lines``."""
        return [("clinic_plan_line_id", "in", lines.ids), ("active", "=", True),
                ("clinic_plan_session_returned", "=", False)]

    @api.constrains("sessions")
    def _check_sessions_cover_bookings(self):
        for line in self:
            if line.sessions < line.sessions_booked:
                raise ValidationError(self.env._(
                    "%(service)s has %(booked)s sessions booked: the plan cannot offer fewer.",
                    service=line.product_id.display_name, booked=line.sessions_booked))

    @api.depends("product_id", "sessions", "plan_id.name")
    def _compute_display_name(self):
        for line in self:
            line.display_name = self.env._(
                "%(plan)s: %(service)s × %(sessions)s", plan=line.plan_id.name or "",
                service=line.product_id.display_name or "", sessions=line.sessions)

    def _sessions_left_fresh(self):
        """Sessions left counted under the booking lock: this transaction's bookings and
        those a parallel booking committed meanwhile (a new snapshot) both count."""
        self.ensure_one()
        self.env["calendar.event"].flush_model(
            ["clinic_plan_line_id", "active", "clinic_plan_session_returned"])
        live = db.rows(self.env, """
            SELECT id FROM calendar_event
             WHERE clinic_plan_line_id = %s AND active
               AND clinic_plan_session_returned IS NOT TRUE
        """, (self.id,), fresh=True)
        return self.sessions - len({row[0] for row in live})
