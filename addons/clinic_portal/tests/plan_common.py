from datetime import timedelta

from odoo import fields
from odoo.fields import Command

from .booking_common import BookingSetup

ALIAS = "Session from your treatment plan"


class PlanSetup(BookingSetup):
    """The booking set-up with plans bookable, a physiotherapy service that is not in the
    portal's price list, and the patient's active 10-session plan of it."""

    @classmethod
    def _setup_plan(cls, env, sessions=10, date_start=None):
        cls._setup_booking(env)
        cls.company.sudo().write({
            "clinic_portal_service_types": "both",
            "clinic_portal_plan_alias": ALIAS,
            "clinic_portal_plan_staff_only": False,
        })
        cls.physio = cls._make_service(env, "Physiotherapy", 30, cls.staff | cls.staff2,
                                       clinic_portal_visible=False)
        cls.plan = cls._make_plan(env, cls.patient, cls.physio, sessions, date_start=date_start)
        cls.line = cls.plan.line_ids

    @classmethod
    def _make_plan(cls, env, partner, product, sessions, staff=None, date_start=None,
                   **values):
        plan = env["clinic.treatment.plan"].create({
            "partner_id": partner.id,
            # Since yesterday: today in every time zone.
            "date_start": date_start or fields.Date.today() - timedelta(days=1),
            "line_ids": [Command.create({
                "product_id": product.id, "sessions": sessions,
                "staff_user_ids": [Command.set(staff.ids)] if staff else []})],
            **values,
        })
        plan.action_activate()
        return plan

    def _book_session(self, start, staff=None, line=None, partner=None):
        engine = self.env["clinic.booking.engine"]
        return engine._book(engine._plan_session_request(
            partner or self.patient, line or self.line, start, self._policy(),
            staff_user=self.staff if staff is None else staff))
