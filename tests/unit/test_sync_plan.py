"""The rule that decides what a page of HIS accounts changes in the contacts."""

import importlib.util
from datetime import datetime, timedelta
from pathlib import Path

import his_client

_PATH = Path(__file__).resolve().parents[2] / "addons/crm_isc_sync/services/sync_plan.py"
_spec = importlib.util.spec_from_file_location("sync_plan", _PATH)
sync_plan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync_plan)

ISSUED = datetime(2026, 1, 2, 3, 4, 5, 678000)
UPDATED = datetime(2026, 2, 3, 4, 5, 6)


def account(code, login="isc1", status="active", updated=UPDATED):
    return his_client.IscAccount(code, login, status, ISSUED, updated)


def row(pid, code, login=None, status=None, issued=None, updated=None):
    return (pid, code, login, status, issued, updated)


def test_a_contact_without_account_gets_it():
    changes, unchanged, unmatched = sync_plan.plan_page([account("BN1")], [row(7, "BN1")])
    assert changes == [(7, {"isc_account_login": "isc1", "isc_account_status": "active",
                            "isc_account_issued_on": ISSUED.replace(microsecond=0),
                            "isc_account_his_updated_at": UPDATED})]
    assert (unchanged, unmatched) == ([], [])


def test_an_identical_account_is_unchanged():
    stored = row(7, "BN1", "isc1", "active", ISSUED.replace(microsecond=0), UPDATED)
    assert sync_plan.plan_page([account("BN1")], [stored]) == ([], [7], [])


def test_a_status_change_is_a_change():
    stored = row(7, "BN1", "isc1", "active", ISSUED.replace(microsecond=0), UPDATED)
    changes, unchanged, _ = sync_plan.plan_page([account("BN1", status="locked")], [stored])
    assert [pid for pid, _vals in changes] == [7] and unchanged == []
    assert changes[0][1]["isc_account_status"] == "locked"


def test_an_account_without_contact_is_unmatched():
    assert sync_plan.plan_page([account("BN9")], [row(7, "BN1")]) == ([], [], [account("BN9")])


def test_every_contact_holding_the_code_is_matched():
    changes, _, _ = sync_plan.plan_page([account("BN1")], [row(7, "BN1"), row(8, "BN1")])
    assert sorted(pid for pid, _vals in changes) == [7, 8]


def test_the_newest_version_in_a_page_wins_whatever_its_place():
    older = account("BN1", login="old", updated=UPDATED - timedelta(hours=1))
    newer = account("BN1", login="new")
    for page in ([older, newer], [newer, older]):
        changes, unchanged, unmatched = sync_plan.plan_page(page, [row(7, "BN1")])
        assert [(pid, vals["isc_account_login"]) for pid, vals in changes] == [(7, "new")]
        assert (unchanged, unmatched) == ([], [])


def test_an_account_older_than_the_one_held_does_not_move_it_backwards():
    stored = row(7, "BN1", "new", "locked", ISSUED.replace(microsecond=0), UPDATED)
    older = account("BN1", login="old", updated=UPDATED - timedelta(seconds=1))
    assert sync_plan.plan_page([older], [stored]) == ([], [7], [])


def test_a_newer_account_replaces_the_one_held():
    stored = row(7, "BN1", "old", "active", ISSUED.replace(microsecond=0),
                 UPDATED - timedelta(days=1))
    changes, _, _ = sync_plan.plan_page([account("BN1", login="new")], [stored])
    assert changes[0][1]["isc_account_login"] == "new"
