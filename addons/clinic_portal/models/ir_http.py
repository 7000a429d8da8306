from odoo import models


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _get_translation_frontend_modules_name(cls):
        # The client portal's browser-side terms (static/src/js) reach the website's pages.
        return [*super()._get_translation_frontend_modules_name(), "clinic_portal"]
