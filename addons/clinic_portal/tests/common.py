from odoo.fields import Command
from odoo.tests import TransactionCase, new_test_user


def give_website_to(company):
    """Odoo's website serves ``company``: its visitors get that company's portal settings.
    The demo gives the website to its clinic; a test gives it to the company it sets up."""
    company.env.ref("website.default_website").company_id = company


def require_form(env, product, title):
    """A one-question public survey that ``product`` requires before booking."""
    survey = env["survey.survey"].create({
        "title": title, "access_mode": "public", "lang_ids": False,
        "question_and_page_ids": [Command.create({"title": "Do you agree?",
                                                  "question_type": "char_box"})],
    })
    product.product_tmpl_id.clinic_required_survey_id = survey
    return survey


class ClinicPortalCase(TransactionCase):
    """A fresh company with the module's defaults, staff and a portal patient."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Test Clinic"})
        cls.env.user.company_ids = [Command.link(cls.company.id)]
        cls.calendar = cls.env["resource.calendar"].create({
            "name": "Clinic hours", "company_id": cls.company.id,
        })
        cls.staff = new_test_user(
            cls.env, login="clinic_staff", name="Clinic Staff", groups="base.group_user",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )
        cls.clinic_admin = new_test_user(
            cls.env, login="clinic_admin", name="Clinic Admin",
            groups="base.group_user,clinic_portal.group_clinic_admin",
        )
        cls.patient = new_test_user(
            cls.env, login="clinic_patient", name="Clinic Patient", groups="base.group_portal",
        )
        cls.status_interested = cls.env.ref("clinic_portal.client_status_interested")
