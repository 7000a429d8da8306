"""Who may act for whom in the client portal, by age and by the state of a link
(clinic_portal), without Odoo."""

from datetime import date

from odoo_free import clinic_portal

family = clinic_portal("services.family")


def test_born_on_29_february_comes_of_age_on_28_february_of_a_common_year():
    born = date(2008, 2, 29)
    assert family.is_minor(born, date(2026, 2, 27))
    assert not family.is_minor(born, date(2026, 2, 28))


def test_on_29_february_whoever_was_born_by_28_february_is_an_adult():
    assert not family.is_minor(date(2006, 2, 28), date(2024, 2, 29))
    assert family.is_minor(date(2006, 3, 1), date(2024, 2, 29))
