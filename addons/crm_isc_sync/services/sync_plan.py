"""What one page of Isc accounts changes in the contacts: plain values in, plain values out.

No database and no Odoo here, so the rule is tested in milliseconds and runs fast for 100,000
accounts.
"""

# Columns of a contact row, in the order the sync engine selects them.
ROW_FIELDS = ("id", "isc_patient_code", "isc_account_login", "isc_account_status",
              "isc_account_issued_on", "isc_account_his_updated_at")


def account_values(account):
    """Contact field values of one parsed account (seconds precision, as the database keeps)."""
    return {
        "isc_account_login": account.login,
        "isc_account_status": account.status,
        "isc_account_issued_on": account.issued_at.replace(microsecond=0),
        "isc_account_his_updated_at": account.updated_at.replace(microsecond=0),
    }


def newest_per_patient(accounts):
    """One account per patient code: the one the HIS changed last (on a tie, the later one)."""
    newest = {}
    for account in accounts:
        held = newest.get(account.patient_code)
        if held is None or account.updated_at >= held.updated_at:
            newest[account.patient_code] = account
    return list(newest.values())


def plan_page(accounts, rows):
    """Match accounts to contact rows by patient code; the newest ``updated_at`` wins.

    An account the HIS changed before the version a contact already holds leaves that contact
    unchanged: an account never moves backwards, whatever order the pages come in.

    :param accounts: parsed accounts (objects with patient_code, login, status, issued_at,
        updated_at)
    :param rows: tuples in ``ROW_FIELDS`` order, the contacts holding those patient codes
    :return: ``(changes, unchanged_ids, unmatched_accounts)`` where ``changes`` is a list of
        ``(contact_id, values)`` for contacts whose account differs from the HIS's
    """
    by_code = {}
    for row in rows:
        by_code.setdefault(row[1], []).append(row)
    changes, unchanged, unmatched = [], [], []
    for account in newest_per_patient(accounts):
        matches = by_code.get(account.patient_code)
        if not matches:
            unmatched.append(account)
            continue
        values = account_values(account)
        target = tuple(values.values())
        for row in matches:
            held_at = row[-1]
            if tuple(row[2:]) == target or (held_at and held_at > target[-1]):
                unchanged.append(row[0])
            else:
                changes.append((row[0], values))
    return changes, unchanged, unmatched
