from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    clinic_plan_ids = fields.One2many(
        "clinic.treatment.plan", "partner_id", string="Treatment plans",
        groups="base.group_user")
    clinic_plan_count = fields.Integer(
        string="Treatment plan count", compute="_compute_clinic_plan_count",
        groups="base.group_user")

    def _compute_clinic_plan_count(self):
        counts = dict(self.env["clinic.treatment.plan"]._read_group(
            [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]))
        for partner in self:
            partner.clinic_plan_count = counts.get(partner, 0) if partner.id else 0

    def action_clinic_view_plans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_portal.clinic_treatment_plan_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
