"""19.0.1.2.0: an invoice knows its appointment, so the appointment lists all of its invoices."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        UPDATE account_move move
           SET clinic_appointment_id = event.id
          FROM calendar_event event
         WHERE event.clinic_invoice_id = move.id
           AND move.clinic_appointment_id IS NULL
    """)
