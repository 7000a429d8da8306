from odoo import api, models


class ClinicWorkTimeSource(models.AbstractModel):
    """What staff working times are made of (working hours, their attendances, leaves,
    resources): a change of any of them drops the working times the portal's pages reuse
    across requests (``clinic.availability.engine._work_seconds_shown``), in every server
    process."""

    _name = "clinic.work.time.source"
    _description = "Source of staff working times"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
