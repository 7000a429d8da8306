from odoo import api, fields, models
from odoo.tools import SQL

# What the clinic already knows of a client, and the contact field it is kept in.
PREFILL_FIELDS = {
    "name": "name",
    "phone": "phone",
    "email": "email",
    "birthdate": "clinic_birthdate",
    "national_id": "clinic_national_id",
}
# The question types a contact's detail can answer.
PREFILL_TYPES = ("char_box", "text_box", "date")


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    clinic_prefill = fields.Selection(
        [("name", "Name"), ("phone", "Mobile phone"), ("email", "Email"),
         ("birthdate", "Date of birth"), ("national_id", "National ID number")],
        string="Filled in from the client's details",
        help="When a client opens this form in the client portal, the answer is filled in "
             "with what the clinic already knows of them; they check it and may change it.")

    @api.onchange("question_type")
    def _onchange_question_type_clinic_prefill(self):
        for question in self:
            if question.question_type not in PREFILL_TYPES:
                question.clinic_prefill = False


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    def _clinic_prefill(self):
        """Answer, from the client's contact, the questions the clinic marked so, which the
        client has not answered yet. Nothing known, nothing written."""
        for answer in self.filtered(lambda a: a.partner_id and a.state != "done"):
            partner = answer.partner_id
            questions = answer.survey_id.question_ids.filtered(
                lambda q: q.clinic_prefill and q.question_type in PREFILL_TYPES)
            for question in questions - answer.user_input_line_ids.question_id:
                value = partner[PREFILL_FIELDS[question.clinic_prefill]]
                if not value:
                    continue
                if question.question_type == "date":
                    value = fields.Date.to_string(value)
                answer._save_lines(question, str(value))

    def _save_lines(self, question, answer, comment=None, overwrite_existing=True):
        """An answer the clinic filled in is the client's to check and send, as it is or
        corrected: sending its page writes over it. Odoo writes over no answer of a form the
        client cannot go back in (its default), which left such a page impossible to send."""
        if question.clinic_prefill and question.question_type in PREFILL_TYPES:
            overwrite_existing = True
        return super()._save_lines(question, answer, comment=comment,
                                   overwrite_existing=overwrite_existing)


class SurveySurvey(models.Model):
    _inherit = "survey.survey"

    def _get_supported_lang_codes(self):
        """A form clients fill before booking opens in the language of the portal page they
        come from, whatever languages it was written in: Odoo's words around it are then in
        that language, and its questions too where the clinic translated them."""
        codes = super()._get_supported_lang_codes()
        if not self._clinic_is_portal_form():
            return codes
        return codes + [code for code, _name in self.env["res.lang"].get_installed()
                        if code not in codes]

    def _clinic_is_portal_form(self):
        """Whether clients fill this survey in the client portal: a company's mandatory form
        or a service's required form. One indexed lookup: it is asked on every page of every
        survey."""
        self.ensure_one()
        self.env["clinic.mandatory.form"].flush_model(["survey_id"])
        self.env["product.template"].flush_model(["clinic_required_survey_id"])
        self.env.cr.execute(SQL(
            """SELECT EXISTS(SELECT 1 FROM clinic_mandatory_form WHERE survey_id = %(id)s)
                   OR EXISTS(SELECT 1 FROM product_template
                              WHERE clinic_required_survey_id = %(id)s)""",
            id=self.id))
        return self.env.cr.fetchone()[0]
