import { registry } from "@web/core/registry";

import {
    bookOnOnePage,
    checkAccessibility,
    reportJourney,
} from "@clinic_portal/../tests/tours/clinic_portal_tour_utils";

/**
 * Fills the form ``title``, number ``number`` of the forms due, opened from the portal home
 * or from the form before it; its last page leads on, by ``next`` (a button's trigger).
 */
function fillForm(title, number, next) {
    return [
        {
            content: `The form "${title}" says where it stands among the forms due`,
            trigger: `.o_clinic_form_progress:contains('${number}')`,
        },
        {
            content: "The form's start page speaks Hebrew, Odoo's own words included (the "
                + "keyboard hint shows on wide screens only)",
            trigger: ".o_survey_start button[value='start']",
            run() {
                const hint = document.querySelector(".o_survey_enter")?.textContent.trim();
                if (hint !== "או ללחוץ על אנטר") {
                    throw new Error(`The keyboard hint reads "${hint}"`);
                }
            },
        },
        checkAccessibility(`the form "${title}", in the clinic's site`, "header + main .o_survey_form"),
        {
            content: "Start the form",
            trigger: "button[value='start']:not(.disabled)",
            run: "click",
        },
        {
            content: "Answer its question",
            trigger: "div.js_question-wrapper input",
            run: "edit Fine, thank you",
        },
        {
            content: "Submit the form: no dialog asks if it should be sent",
            trigger: "button[value='finish']:not(.disabled)",
            run: "click",
        },
        {
            content: "The form's last page speaks Hebrew too",
            trigger: ".o_survey_finished a.o_survey_review:contains('עיון בתשובות שלך')",
        },
        {
            content: "The form is done, no 'take again', and the next step is offered",
            trigger: `.o_survey_finished:not(:has(a[href*='/survey/retry/'])) ${next}`,
            run: "click",
            expectUnloadPage: true,
        },
    ];
}

// A Hebrew-speaking prospect registers, and is told to look for an e-mail.
registry.category("web_tour.tours").add("clinic_portal_registration", {
    url: "/he/clinic/register",
    steps: () => [
        {
            content: "The registration page is in Hebrew, right to left",
            trigger: ".o_clinic_registration_form",
            run() {
                const lang = document.documentElement.lang;
                const direction = getComputedStyle(document.body).direction;
                if (direction !== "rtl" || !lang.startsWith("he")) {
                    throw new Error(`expected a Hebrew RTL page, got ${lang} ${direction}`);
                }
            },
        },
        checkAccessibility("the registration form", ".o_clinic_registration_form"),
        { trigger: "input[name='first_name']", run: "edit דנה" },
        { trigger: "input[name='last_name']", run: "edit לוי" },
        { trigger: "input[name='mobile']", run: "edit 050-7654321" },
        { trigger: "input[name='national_id']", run: "edit 123456782" },
        { trigger: "input[name='email']", run: "edit dana.tour@example.com" },
        {
            content: "Register",
            trigger: ".o_clinic_registration_form button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        checkAccessibility("the registration received", ".o_clinic_registration_received"),
        reportJourney(".o_clinic_registration_received"),
    ],
});

// From the link in that e-mail: sets a password, fills the three forms due, books.
registry.category("web_tour.tours").add("clinic_portal_registration_signup", {
    steps: () => [
        {
            content: "The page speaks to someone who registered: choose your password",
            trigger: ".o_clinic_signup_heading h1",
        },
        {
            content: "The login is the address the link was sent to, shown, not asked again",
            trigger: "form.oe_signup_form input[name='login'][readonly]:value('dana.tour@example.com')",
        },
        {
            content: "Nothing offers to sign up or to log in to an account not made yet",
            trigger: "form.oe_signup_form:not(:has(a[href^='/web/login'])):not(:has(button[type='submit']:not(.o_clinic_set_password)))",
        },
        checkAccessibility("the page to choose a password", "form.oe_signup_form"),
        {
            content: "Choose a password",
            trigger: "form.oe_signup_form input[name='password'][autocomplete='new-password']",
            run: "edit Dana-Tour-2026!",
        },
        { trigger: "input[name='confirm_password']", run: "edit Dana-Tour-2026!" },
        {
            content: "Save it: the account is made and the portal opens",
            trigger: "form.oe_signup_form button.o_clinic_set_password",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Landed on the portal, three forms are due",
            trigger: ".o_clinic_forms_due:has(li:nth-child(3))",
        },
        checkAccessibility("the portal home with three forms due", ".o_clinic_forms_due"),
        {
            content: "Open the first form from the notice",
            trigger: ".o_clinic_forms_due a.o_clinic_form_due_link:contains('Tour health')",
            run: "click",
            expectUnloadPage: true,
        },
        ...fillForm("Tour health", 1, ".o_clinic_next_form:contains('Tour nutrition')"),
        ...fillForm("Tour nutrition", 2, ".o_clinic_next_form:contains('Tour intake')"),
        ...fillForm("Tour intake", 3, ".o_clinic_back_to_booking"),
        ...bookOnOnePage("Check-up"),
        reportJourney(".o_clinic_booked"),
    ],
});
