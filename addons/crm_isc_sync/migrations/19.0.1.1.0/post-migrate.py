"""Sync failure reasons were stored as text in the language of whoever ran the sync; they are
now a code translated on read. Earlier reasons are kept word for word as "legacy" reasons."""

from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not column_exists(cr, "isc_sync_run", "failure_reason"):
        return
    cr.execute("""
        UPDATE isc_sync_run
           SET failure_code = 'legacy', failure_params = jsonb_build_object('text', failure_reason)
         WHERE failure_reason IS NOT NULL AND failure_code IS NULL
    """)
    cr.execute("ALTER TABLE isc_sync_run DROP COLUMN failure_reason")
