"""19.0.1.6.0: a phone number without a country prefix is read in the region of the contact
alone (its country, its company, its portal user's company, its creator's company), never in
that of whoever saved it: every stored phone key is computed again."""

from odoo import SUPERUSER_ID, api

BATCH = 5000


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
    partners = env["res.partner"].search([("phone", "!=", False)], order="id")
    field = env["res.partner"]._fields["clinic_phone_key"]
    for start in range(0, len(partners), BATCH):
        batch = partners[start:start + BATCH]
        env.add_to_compute(field, batch)
        batch.flush_recordset(["clinic_phone_key"])
        env.invalidate_all()
