import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged

_SCRIPT = Path(__file__).resolve().parents[1] / "migrations/19.0.1.1.0/pre-migrate.py"


def _migration():
    spec = importlib.util.spec_from_file_location("clinic_portal_pre_migrate_19_0_1_1_0",
                                                  _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestMigration(TransactionCase):
    def test_new_clients_only_forms_keep_their_audience_after_the_upgrade(self):
        survey = self.env["survey.survey"].create({"title": "Nutrition (migration)"})
        form = self.env["clinic.mandatory.form"].create({"survey_id": survey.id,
                                                         "frequency": "yearly"})
        self.env.flush_all()
        # As 19.0.1.0.0 stored it: "new clients only" was a frequency.
        self.env.cr.execute("UPDATE clinic_mandatory_form SET frequency = 'new_clients' "
                            "WHERE id = %s", (form.id,))
        _migration().migrate(self.env.cr, "19.0.1.0.0")
        form.invalidate_recordset()
        self.assertEqual((form.frequency, form.audience), ("once", "new_clients"))
