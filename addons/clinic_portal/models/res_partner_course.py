from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    clinic_enrollment_ids = fields.One2many(
        "clinic.course.enrollment", "partner_id", string="Course enrollments",
        groups="base.group_user")
    clinic_enrollment_count = fields.Integer(
        string="Courses", compute="_compute_clinic_enrollment_count", groups="base.group_user")

    @api.depends("clinic_enrollment_ids")
    def _compute_clinic_enrollment_count(self):
        for partner in self:
            partner.clinic_enrollment_count = len(partner.clinic_enrollment_ids)

    def action_clinic_enrollments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_portal.clinic_course_enrollment_action")
        action.update(domain=[("partner_id", "=", self.id)],
                      context={"default_partner_id": self.id})
        return action
