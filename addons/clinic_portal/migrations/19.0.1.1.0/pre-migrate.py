"""19.0.1.1.0: "New clients only" moves from a mandatory form's frequency to its audience."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("ALTER TABLE clinic_mandatory_form ADD COLUMN IF NOT EXISTS audience varchar")
    cr.execute("""
        UPDATE clinic_mandatory_form
           SET audience = CASE WHEN frequency = 'new_clients' THEN 'new_clients'
                               ELSE COALESCE(audience, 'all') END,
               frequency = CASE WHEN frequency = 'new_clients' THEN 'once' ELSE frequency END
    """)
