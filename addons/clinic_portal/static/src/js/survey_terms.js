import { _t } from "@web/core/l10n/translation";

// The mandatory forms are Odoo surveys. Their submit dialog says these two sentences, which
// Odoo's own Hebrew catalogue leaves untranslated; the browser's catalogue is shared by all
// modules, so our translations of them fill the gap for the client filling a form.
export const SURVEY_SUBMIT_TERMS = [
    _t("Submit confirmation"),
    _t("Are you sure you want to submit the survey?"),
    _t("There was an error during the validation of the survey."),
    _t("To take this survey, please close all other tabs on %(hostname)s"),
];

// The same for the payment form's error dialogs, which a patient paying or leaving a card
// may meet.
export const PAYMENT_FORM_TERMS = [
    _t("Payment processing failed"),
    _t("Cannot save payment method"),
];
