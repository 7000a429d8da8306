from odoo import models

from .. import replica


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _get_translation_frontend_modules_name(cls):
        # The client portal's browser-side terms (static/src/js) reach the website's pages.
        return [*super()._get_translation_frontend_modules_name(), "clinic_portal"]

    @classmethod
    def _post_dispatch(cls, response):
        # Before the session is saved (by super): a session that wrote reads its writes back.
        replica.note_write()
        return super()._post_dispatch(response)
