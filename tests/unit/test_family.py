"""Who may act for whom in the client portal, by age and by the state of a link
(clinic_portal), without Odoo."""

from datetime import date

from odoo_free import clinic_portal

const = clinic_portal("const")
family = clinic_portal("services.family")


def test_a_child_comes_of_age_on_their_18th_birthday():
    born = date(2008, 6, 15)
    assert family.is_minor(born, date(2026, 6, 14))
    assert not family.is_minor(born, date(2026, 6, 15))


def test_born_on_29_february_comes_of_age_on_28_february_of_a_common_year():
    born = date(2008, 2, 29)
    assert family.is_minor(born, date(2026, 2, 27))
    assert not family.is_minor(born, date(2026, 2, 28))


def test_on_29_february_whoever_was_born_by_28_february_is_an_adult():
    assert not family.is_minor(date(2006, 2, 28), date(2024, 2, 29))
    assert family.is_minor(date(2006, 3, 1), date(2024, 2, 29))


def test_without_a_date_of_birth_nobody_is_a_child():
    assert not family.is_minor(None, date(2026, 1, 1))


def test_a_childs_link_is_in_force_until_they_come_of_age():
    born = date(2008, 6, 15)
    assert family.in_force(const.FAMILY_MINOR, None, born, date(2026, 6, 14))
    assert not family.in_force(const.FAMILY_MINOR, None, born, date(2026, 6, 15))


def test_an_adults_link_is_in_force_until_it_ends():
    born = date(1960, 1, 1)
    assert family.in_force(const.FAMILY_CONSENT, None, born, date(2026, 1, 1))
    assert not family.in_force(const.FAMILY_CONSENT, date(2025, 12, 31), born,
                               date(2026, 1, 1))


def test_a_child_may_keep_the_link_from_30_days_before_coming_of_age():
    born = date(2008, 6, 15)
    assert not family.may_confirm(const.FAMILY_MINOR, False, born, date(2026, 5, 15))
    assert family.may_confirm(const.FAMILY_MINOR, False, born, date(2026, 5, 16))
    assert family.may_confirm(const.FAMILY_MINOR, const.FAMILY_END_ADULT, born,
                              date(2026, 7, 1))


def test_a_link_someone_ended_cannot_be_kept():
    born = date(2008, 6, 15)
    for reason in (const.FAMILY_END_PATIENT, const.FAMILY_END_GUARDIAN, const.FAMILY_END_STAFF):
        assert not family.may_confirm(const.FAMILY_MINOR, reason, born, date(2026, 6, 15))
    assert not family.may_confirm(const.FAMILY_CONSENT, False, born, date(2026, 6, 15))
    assert not family.may_confirm(const.FAMILY_MINOR, False, None, date(2026, 6, 15))
