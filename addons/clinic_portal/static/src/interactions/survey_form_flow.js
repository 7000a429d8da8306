import { patch } from "@web/core/utils/patch";
import { SurveyForm } from "@survey/interactions/survey_form";

/**
 * A form due before booking is sent when the patient presses "Submit", without Odoo's "are
 * you sure?" dialog: the next form, or the booking, follows at once. Other surveys keep it.
 */
patch(SurveyForm.prototype, {
    onSubmit(ev) {
        if (ev.currentTarget.value === "finish" && document.querySelector(".o_clinic_form_flow")) {
            ev.preventDefault();
            this.submitForm({ isFinish: true });
            return;
        }
        return super.onSubmit(ev);
    },
});
