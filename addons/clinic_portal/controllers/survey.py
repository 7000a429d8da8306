from odoo.http import request

from odoo.addons.survey.controllers.main import Survey


class ClinicFamilySurvey(Survey):
    def _check_validity(self, survey_sudo, answer_sudo, answer_token, ensure_token=True,
                        check_partner=True):
        """A client fills in the forms of the family members they act for: the answer, opened
        by its token, is the family member's, not the user's (Odoo's check takes that for a
        mixed-up cookie)."""
        if check_partner and answer_sudo and answer_token \
                and not request.env.user._is_public() \
                and answer_sudo.partner_id in request.env.user.partner_id._clinic_family():
            check_partner = False
        return super()._check_validity(survey_sudo, answer_sudo, answer_token,
                                       ensure_token=ensure_token, check_partner=check_partner)
