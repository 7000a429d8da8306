from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class IscSyncRangeWizard(models.TransientModel):
    """The date-range sync: pull the Isc accounts the HIS changed in a date range."""

    _name = "isc.sync.range.wizard"
    _description = "Sync Isc account list"

    date_from = fields.Datetime(string="From", required=True,
                                default=lambda self: fields.Datetime.now() - timedelta(days=1))
    date_to = fields.Datetime(string="To", required=True, default=fields.Datetime.now)

    @api.constrains("date_from", "date_to")
    def _check_range(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise ValidationError(
                    self.env._("The start of the range must not be after its end."))
            longest = self.env.company.isc_sync_max_range_days
            if wizard.date_to - wizard.date_from > timedelta(days=longest):
                raise ValidationError(self.env._(
                    "The range may span at most %(days)s days; sync it in parts.", days=longest))

    def action_sync(self):
        self.ensure_one()
        run, _outcome = self.env["isc.sync.run"].sudo()._start_range(
            self.date_from, self.date_to)
        return run._notification_action()
