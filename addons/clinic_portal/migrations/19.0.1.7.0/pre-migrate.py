"""19.0.1.7.0: the client portal's settings move from Odoo's settings page to a screen of their
own (clinic.portal.settings), which the clinic administrator opens without system rights.

The settings themselves are stored on the company and do not move. The two views that added
the course and treatment plan settings to Odoo's settings page now extend the new screen:
they are dropped here, before the module's views load, and created again from the module's
data, since Odoo's settings page no longer has the blocks they extended.
"""

MOVED_VIEWS = ("res_config_settings_view_form_courses",
               "res_config_settings_view_form_treatment_plans")


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        DELETE FROM ir_ui_view
         WHERE id IN (SELECT res_id FROM ir_model_data
                       WHERE module = 'clinic_portal' AND model = 'ir.ui.view'
                         AND name IN %s)
    """, [MOVED_VIEWS])
    cr.execute("""
        DELETE FROM ir_model_data
         WHERE module = 'clinic_portal' AND model = 'ir.ui.view' AND name IN %s
    """, [MOVED_VIEWS])
