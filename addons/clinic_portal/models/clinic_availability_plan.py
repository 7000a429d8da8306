from odoo import api, models

from .. import const


class ClinicAvailability(models.AbstractModel):
    """What the client portal offers with the clinic's service types: services of the price
    list ("Regular"), sessions of the patient's treatment plans ("Plan"), or both."""

    _inherit = "clinic.availability.engine"

    @api.model
    def _services(self, partner):
        if not self.env.company._clinic_portal_policy().books_services:
            return []
        return super()._services(partner)

    @api.model
    def _service(self, partner, product_id, priced=True):
        if not self.env.company._clinic_portal_policy().books_services:
            return self.env["product.product"], None
        return super()._service(partner, product_id, priced=priced)

    @api.model
    def _plan_lines(self, partner):
        """The lines of ``partner``'s treatment plans they may book a session of now: of an
        active plan valid today, with sessions left; empty unless the clinic books plans.

        Searched as the current user, so a portal user finds their own lines alone (record
        rule); returned as superuser, as the portal's gate returns a line.
        """
        lines = self.env["clinic.treatment.plan.line"]
        if not self.env.company._clinic_portal_policy().books_plans:
            return lines
        lines = lines.search([
            ("partner_id", "=", partner.id),
            ("plan_id.state", "=", const.PLAN_ACTIVE),
            ("plan_id.company_id", "=", self.env.company._clinic_portal_policy().company_id),
        ], order="plan_id, sequence, id").sudo()
        return lines.filtered(lambda line: line.plan_id._is_bookable_now()
                              and line.sessions_left > 0)

    @api.model
    def _plan_line(self, partner, line_id):
        """The plan line ``line_id`` if ``partner`` may book a session of it now, else an
        empty recordset: another patient's line is as unknown as a missing one."""
        return self._plan_lines(partner).filtered(lambda line: line.id == line_id)

    @api.model
    def _plan_staff(self, partner, line, policy):
        """Staff ``partner`` may book a session of ``line`` (as superuser, as the portal's
        gate returns it) with: those bookable for its service (treating team included) and,
        with "Restrict plan sessions to the plan's staff", only the line's staff when it names
        any."""
        staff = self._staff(partner, line.product_id, policy)
        if policy.plan_staff_only and line.staff_user_ids:
            staff &= line.staff_user_ids
        return staff
