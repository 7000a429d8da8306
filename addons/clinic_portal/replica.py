"""Reads on a PostgreSQL replica that never miss the session's own writes.

With ``db_replica_host`` set, Odoo serves the routes marked ``readonly`` on a cursor of the
replica. A hot standby replays the primary's changes a little later: a patient sent from the
booking to the appointment's page would get a 404 there, and their list would miss the
booking. So a request that wrote notes its transaction in the session (``note_write``, called
by ``ir.http``), and the readonly routes of this module go to the replica for that session only
once the replica's snapshot includes that transaction (``reads_on_replica``, their
``readonly``); until then the primary serves them.

The transaction's id is what is noted, not a WAL position: the session is saved before the
commit, when the id is known and the position of the commit is not. Asked on the replica's
cursor the route then reads with (whose snapshots only move forward), whether its snapshot
includes the transaction is exact, however far behind the replica is.
"""

from odoo.http import request

# The id (xid8, as text) of the session's last transaction that wrote, until a replica's
# snapshot includes it.
SESSION_KEY = "clinic_replica_wait_xid"


def note_write():
    """Note in the session the transaction of the current request when it wrote.

    Called before the session is saved; only when the database has a replica connection
    (otherwise every route reads on the primary and nothing needs noting), on the primary.
    """
    env = request.env
    if env.cr.readonly or env.registry._db_readonly is None or not request.session.can_save:
        return
    # The changes the ORM would flush at the commit are writes of this transaction too.
    env.flush_all()
    env.cr.execute("SELECT pg_current_xact_id_if_assigned()::text")
    xid = env.cr.fetchone()[0]
    if xid:
        request.session[SESSION_KEY] = xid


def reads_on_replica(controller, rule, args):
    """The ``readonly`` of a route that only reads: on the replica, unless the session's last
    write is not in the replica's snapshot yet.

    Costs nothing to a session that wrote nothing since its last read on the replica: the
    replica is asked once, at the first read after a write.
    """
    xid = request.session.get(SESSION_KEY)
    cr = request.env.cr
    if not xid or not cr.readonly:
        # Nothing to wait for, or no replica cursor to read on (none configured, or the replica
        # is down): Odoo's choice stands.
        return True
    # Visible in this snapshot: committed before it began, or (in a test, where the read-only
    # cursor shares the test's transaction) made by this very transaction.
    cr.execute("""
        SELECT pg_visible_in_snapshot(%s::xid8, pg_current_snapshot())
               OR pg_current_xact_id_if_assigned() = %s::xid8
    """, [xid, xid])
    if not cr.fetchone()[0]:
        return False
    del request.session[SESSION_KEY]
    return True
