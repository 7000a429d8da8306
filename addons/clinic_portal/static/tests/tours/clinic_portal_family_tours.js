import { registry } from "@web/core/registry";

import {
    checkAccessibility,
    demoCard,
    reportJourney,
} from "@clinic_portal/../tests/tours/clinic_portal_tour_utils";

// The child the mother adds (test_family_tours.py checks what she typed).
const CHILD = "יואב כהן";
const CHILD_CARD = `.o_clinic_family_card:has(.o_clinic_family_name:contains('${CHILD}'))`;

// A Hebrew-speaking mother, right-to-left: she adds her child, fills in the child's health
// form, books the child's appointment with a card guarantee on her own card, and finds it
// listed under the child's name.
registry.category("web_tour.tours").add("clinic_portal_family_child_he", {
    steps: () => [
        {
            content: "The family page, right-to-left: no child yet",
            trigger: "#wrapwrap.o_rtl .o_clinic_family .o_clinic_no_family",
        },
        checkAccessibility("the family page with no child yet", ".o_clinic_family"),
        {
            content: "Add a child, in Hebrew",
            trigger: ".o_clinic_family a.o_clinic_add_child:contains('הוספת ילד/ה')",
            run: "click",
            expectUnloadPage: true,
        },
        checkAccessibility("the form adding a child", ".o_clinic_family_add_form"),
        {
            content: "The child's first name",
            trigger: ".o_clinic_family_add_form input[name='first_name']",
            run: "edit יואב",
        },
        {
            content: "The child's last name",
            trigger: ".o_clinic_family_add_form input[name='last_name']",
            run: "edit כהן",
        },
        {
            content: "The child's date of birth: seven years ago",
            trigger: ".o_clinic_family_add_form input[name='birthdate'][type='date']",
            run() {
                // A date field is set whole, as its picker does: typing it would go one
                // character at a time.
                this.anchor.value = `${new Date().getFullYear() - 7}-03-15`;
                this.anchor.dispatchEvent(new Event("input", { bubbles: true }));
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The child's national ID, which the clinic asks of every client",
            trigger: ".o_clinic_family_add_form input[name='national_id'][required]",
            run: "edit 327654323",
        },
        {
            content: "Add my child",
            trigger: ".o_clinic_family_add_form button.o_clinic_add_child_submit:contains('הוספת הילד/ה שלי')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the family page: the child is added",
            trigger: `#wrapwrap.o_rtl .o_clinic_child_added:contains('${CHILD}'):contains('נוסף/ה למשפחה שלך')`,
        },
        {
            content: "The child's health form is due",
            trigger: `${CHILD_CARD} .o_clinic_family_forms:contains('טפסים למילוי')`,
        },
        checkAccessibility("the family page with a child just added", CHILD_CARD),
        {
            content: "Open the child's health form",
            trigger: `${CHILD_CARD} a.o_clinic_family_form_link:contains('הצהרת בריאות')`,
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The child's form opens in the clinic's site, right-to-left",
            trigger: "#wrapwrap.o_rtl .o_survey_start button[value='start']",
        },
        checkAccessibility("the child's form, in the clinic's site", "header + main .o_survey_form"),
        {
            content: "Start the form",
            trigger: ".o_survey_start button[value='start']:not(.disabled)",
            run: "click",
        },
        {
            content: "The form starts with the child's details, not the mother's",
            trigger: `div.js_question-wrapper:contains('שם המטופל/ת') input:value('${CHILD}')`,
        },
        {
            content: "The child's national ID too",
            trigger: "div.js_question-wrapper:contains('מספר זהות') input:value('327654323')",
        },
        {
            content: "Answer the question about the child's health",
            trigger: "div.js_question-wrapper:contains('האם יש רגישות לתרופות?') input",
            run: "edit אין",
        },
        {
            content: "Submit the form: no dialog asks if it should be sent",
            trigger: "button[value='finish']:not(.disabled)",
            run: "click",
        },
        {
            content: "The form is done, no 'take again': back to booking, for the child",
            trigger: ".o_survey_finished:not(:has(a[href*='/survey/retry/'])) a.o_clinic_back_to_booking[href*='patient=']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The booking page asks for whom, the child chosen",
            trigger: `#wrapwrap.o_rtl .o_clinic_for_whom:has(h2:contains('עבור מי?')) a.o_clinic_for_whom_option[aria-current='true']:contains('${CHILD}')`,
        },
        checkAccessibility("the services, booking for a child", ".o_clinic_services"),
        {
            content: "Choose the service booked with a card",
            trigger: ".o_clinic_services .o_clinic_service[data-one-page]:contains('Physio session')",
            run: "click",
        },
        {
            content: "A month of free times appears, the first day's times shown",
            trigger: ".o_clinic_planner:not(.d-none) .o_clinic_month .o_clinic_planner_day_button.btn-primary",
        },
        {
            content: "Choose the first free time",
            trigger: ".o_clinic_planner .o_clinic_times .o_clinic_planner_time:first",
            run: "click",
        },
        checkAccessibility(
            "the confirmation of a child's appointment",
            ".o_clinic_planner_confirm .o_clinic_confirm_button"
        ),
        {
            content: "The confirmation names the child, says a card is saved next and nothing charged: confirm",
            trigger: `.o_clinic_planner_confirm:has(.o_clinic_confirm_patient:contains('${CHILD}')):has(.o_clinic_guarantee_note .o_clinic_no_show_fee) form:has(input[name='patient']) .o_clinic_confirm_button`,
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The held time and Odoo's form saving the mother's card",
            trigger: "#wrapwrap.o_rtl .o_clinic_card_page .o_clinic_card_hold",
        },
        checkAccessibility("the card page of a child's appointment", ".o_clinic_card_page #customer_input"),
        ...demoCard(".o_clinic_card_page", "Save the card"),
        {
            content: "The child's appointment: booked, the card kept as guarantee",
            trigger: `#wrapwrap.o_rtl .o_clinic_appointment_detail:has(.o_clinic_patient_name:contains('${CHILD}')) .o_clinic_guarantee .o_clinic_card:contains('4242')`,
        },
        checkAccessibility("the child's guaranteed appointment", ".o_clinic_appointment_detail .o_clinic_guarantee"),
        {
            content: "To the list of appointments",
            trigger: ".o_portal_submenu a[href$='/my/appointments']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The appointment is listed under the child's name",
            trigger: `#wrapwrap.o_rtl .o_clinic_appointment:contains('Physio session') .o_clinic_family_member:contains('${CHILD}')`,
        },
        checkAccessibility("the appointments of a family", ".o_clinic_appointment .o_clinic_family_member"),
        reportJourney(`.o_clinic_appointment .o_clinic_family_member:contains('${CHILD}')`),
    ],
});
