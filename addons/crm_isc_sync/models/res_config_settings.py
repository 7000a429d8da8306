from odoo import fields, models

from ..services import his_client
from .res_company import MANAGER_GROUP


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    isc_his_base_url = fields.Char(related="company_id.isc_his_base_url", readonly=False,
                                   groups=MANAGER_GROUP)
    isc_his_api_key = fields.Char(related="company_id.isc_his_api_key", readonly=False,
                                  groups=MANAGER_GROUP)
    isc_his_connect_timeout = fields.Float(related="company_id.isc_his_connect_timeout",
                                           readonly=False, groups=MANAGER_GROUP)
    isc_his_read_timeout = fields.Float(related="company_id.isc_his_read_timeout",
                                        readonly=False, groups=MANAGER_GROUP)
    isc_his_page_size = fields.Integer(related="company_id.isc_his_page_size", readonly=False,
                                       groups=MANAGER_GROUP)
    isc_sync_max_range_days = fields.Integer(related="company_id.isc_sync_max_range_days",
                                             readonly=False)
    isc_sync_watermark = fields.Datetime(related="company_id.isc_sync_watermark")

    def action_isc_test_connection(self):
        """Ask the HIS for its health with this company's settings and say what happened."""
        self.ensure_one()
        company = self.company_id
        try:
            with company._isc_his_client() as client:
                health = client.health()
        except his_client.HisError as error:
            params = {"type": "danger", "title": self.env._("HIS connection failed"),
                      "message": company._isc_his_error_message(error), "sticky": True}
        else:
            params = {"type": "success", "title": self.env._("HIS connection works"),
                      "message": self.env._("The HIS answered and accepted the API key "
                                            "(version %(version)s).",
                                            version=health.get("version") or "?")}
        return {"type": "ir.actions.client", "tag": "display_notification", "params": params}
