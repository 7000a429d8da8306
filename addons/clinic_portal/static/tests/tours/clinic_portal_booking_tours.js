import { registry } from "@web/core/registry";

import {
    bookOnOnePage,
    checkAccessibility,
    demoCard,
    firstFreeTime,
    reportJourney,
} from "@clinic_portal/../tests/tours/clinic_portal_tour_utils";

// A Hebrew-speaking patient books, reschedules and cancels in the client portal, and is
// refused, in Hebrew, when a rule says no. The pages are right-to-left.
const tours = registry.category("web_tour.tours");

tours.add("clinic_portal_book_he", {
    steps: () => [
        {
            content: "The appointments page is right-to-left and in Hebrew",
            trigger: "#wrapwrap.o_rtl .o_clinic_appointments h3:contains('פגישות')",
        },
        {
            content: "Book an appointment",
            trigger: ".o_clinic_book_button:contains('תיאום פגישה')",
            run: "click",
            expectUnloadPage: true,
        },
        ...bookOnOnePage("Check-up", "קביעת הפגישה"),
        reportJourney(".o_clinic_booked:contains('הפגישה שלך נקבעה')"),
    ],
});

tours.add("clinic_portal_reschedule_he", {
    steps: () => [
        {
            content: "Reschedule the appointment",
            trigger: "#wrapwrap.o_rtl .o_clinic_reschedule:contains('תיאום מחדש')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The month of free times shows on the same page: choose its last day",
            trigger: ".o_clinic_planner:not([aria-busy]) .o_clinic_planner_day_button:last",
            run: "click",
        },
        checkAccessibility("the month of free times of a reschedule", ".o_clinic_planner_time"),
        {
            content: "Choose its last free time",
            trigger: ".o_clinic_planner .o_clinic_planner_time:last",
            run: "click",
        },
        checkAccessibility(
            "the confirmation of a reschedule",
            ".o_clinic_planner_confirm .o_clinic_confirm_button"
        ),
        {
            content: "Confirm the move, on the same page",
            trigger: ".o_clinic_planner_confirm .o_clinic_confirm_button",
            run: "click",
            expectUnloadPage: true,
        },
        reportJourney(".o_clinic_rescheduled:contains('הפגישה שלך הועברה')"),
    ],
});

tours.add("clinic_portal_cancel_he", {
    steps: () => [
        {
            content: "Open the cancellation form",
            trigger: "#wrapwrap.o_rtl .o_clinic_cancel_toggle:contains('ביטול הפגישה')",
            run: "click",
        },
        {
            content: "The form opens in view, its reason field ready, and says nothing is charged",
            trigger: "#clinic_cancel_form.show:has(.o_clinic_cancel_outcome) textarea[name='reason']:focus",
        },
        checkAccessibility("the cancellation form", "#clinic_cancel_form.show"),
        {
            content: "Give a reason",
            trigger: "#clinic_cancel_form.show textarea[name='reason']",
            run: "edit אני בחו\"ל",
        },
        {
            content: "Confirm the cancellation",
            trigger: ".o_clinic_cancel_confirm",
            run: "click",
            expectUnloadPage: true,
        },
        checkAccessibility("the cancelled appointment", ".o_clinic_cancelled"),
        reportJourney(".o_clinic_cancelled:contains('הפגישה שלך בוטלה')"),
    ],
});

tours.add("clinic_portal_refused_notice_he", {
    steps: () => [
        {
            content: "A time that is too soon (an old link) is refused before confirming",
            trigger: "#wrapwrap.o_rtl .o_clinic_error:contains('לפחות 24 שעות מראש')",
        },
        {
            content: "No confirm button, a way back to the times instead",
            trigger: ".o_clinic_book:not(:has(.o_clinic_confirm_button)) .o_clinic_restart",
        },
    ],
});

tours.add("clinic_portal_refused_limit_he", {
    steps: () => [
        {
            content: "The limit is explained when choosing a day",
            trigger: "#wrapwrap.o_rtl .o_clinic_limit:contains('המספר המרבי')",
        },
    ],
});

tours.add("clinic_portal_refused_limit_submit_he", {
    steps: () => [
        {
            content: "Confirm a free time while the limit is reached",
            trigger: "#wrapwrap.o_rtl .o_clinic_confirm_button",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Refused: future appointments limit",
            trigger: ".o_clinic_error:contains('המספר המרבי')",
        },
    ],
});

tours.add("clinic_portal_refused_change_window_he", {
    steps: () => [
        {
            content: "Inside the minimum hours to make a change: no change offered, call us",
            trigger: "#wrapwrap.o_rtl .o_clinic_change_window:contains('+972 3 555 0100')",
        },
        {
            content: "No reschedule or cancel button",
            trigger: ".o_clinic_appointment_detail:not(:has(.o_clinic_reschedule, .o_clinic_cancel_toggle))",
        },
    ],
});

// An appointment link opened while logged out: the login page, then the appointment, in Hebrew.
tours.add("clinic_portal_logged_out_link_he", {
    steps: () => [
        {
            content: "The link asks to log in first",
            trigger: "form.oe_login_form input[name='login']",
            run: "edit booking_patient",
        },
        { trigger: "form.oe_login_form input[name='password']", run: "edit booking_patient" },
        {
            content: "Log in",
            trigger: "form.oe_login_form button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The appointment opens, right to left",
            trigger: "#wrapwrap.o_rtl .o_clinic_appointment_detail .o_clinic_reschedule",
        },
    ],
});

// A form due before booking: the time chosen first, the form opened from its confirmation,
// filled, and straight back to the confirmation of that time.
tours.add("clinic_portal_form_then_booking_he", {
    steps: () => [
        {
            content: "Choose the service: a form is due first, it stays on this page all the same",
            trigger: "#wrapwrap.o_rtl .o_clinic_services .o_clinic_service[data-one-page]:contains('Check-up')",
            run: "click",
        },
        {
            content: "Choose the first free time",
            trigger: ".o_clinic_planner .o_clinic_times .o_clinic_planner_time:first",
            run: "click",
        },
        checkAccessibility("a confirmation waiting for a form", ".o_clinic_planner_confirm .o_clinic_forms_block"),
        {
            content: "The confirmation names the due form as a link, and offers no booking yet",
            trigger: ".o_clinic_planner_confirm:not(:has(.o_clinic_confirm_button)) .o_clinic_forms_block a.o_clinic_form_link[href*='start=']:contains('Tour consent')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Start the form",
            trigger: "button[value='start']:not(.disabled)",
            run: "click",
        },
        {
            content: "Answer its question",
            trigger: "div.js_question-wrapper input",
            run: "edit כן",
        },
        {
            content: "Submit the form: no dialog asks if it should be sent",
            trigger: "button[value='finish']:not(.disabled)",
            run: "click",
        },
        {
            content: "The form's last page leads back to booking, with no 'take again'",
            trigger: ".o_survey_finished:not(:has(a[href*='/survey/retry/'])) a.o_clinic_back_to_booking",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back at the confirmation of the time chosen: book it",
            trigger: "#wrapwrap.o_rtl .o_clinic_confirm:not(:has(.o_clinic_forms_block)) .o_clinic_confirm_button",
            run: "click",
            expectUnloadPage: true,
        },
        reportJourney(".o_clinic_booked"),
    ],
});

tours.add("clinic_portal_prepay_he", {
    steps: () => [
        {
            content: "The service is paid when booked: the page says so, right-to-left",
            trigger: "#wrapwrap.o_rtl .o_clinic_prepayment_note",
        },
        ...firstFreeTime(),
        {
            content: "The confirmation says the time is held while paying",
            trigger: ".o_clinic_confirm .o_clinic_prepayment_note",
        },
        {
            content: "Continue to payment",
            trigger: ".o_clinic_confirm_button",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The held time and Odoo's payment form",
            trigger: ".o_clinic_pay_page .o_clinic_hold",
        },
        ...demoCard(".o_clinic_pay_page", "Pay"),
        {
            content: "Back on the appointment, paid",
            trigger: "#wrapwrap.o_rtl .o_clinic_appointment_detail .o_clinic_paid",
        },
    ],
});

// The patient's balance covers the price: booked at once, paid from the balance, no card step.
tours.add("clinic_portal_balance_he", {
    steps: () => [
        ...firstFreeTime("#wrapwrap.o_rtl .o_clinic_staff_list .o_clinic_staff_option:first"),
        {
            content: "The confirmation says the balance pays it: no payment step",
            trigger: ".o_clinic_confirm:not(:has(.o_clinic_prepayment_note)) .o_clinic_balance_note",
        },
        {
            content: "Book it",
            trigger: ".o_clinic_confirm_button",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Booked, without the payment form",
            trigger: "#wrapwrap.o_rtl .o_clinic_appointment_detail:not(:has(.o_clinic_hold)) .o_clinic_booked:contains('הפגישה שלך נקבעה')",
        },
        {
            content: "Paid from the balance, with its invoice",
            trigger: ".o_clinic_paid ~ .o_clinic_paid_with .o_clinic_paid_from_balance",
        },
        {
            trigger: ".o_clinic_appointment_detail a.o_clinic_invoice",
        },
    ],
});

// A paid appointment cancelled: refunded to the card, and its credit note on its page.
tours.add("clinic_portal_cancel_paid_he", {
    steps: () => [
        {
            content: "The appointment is paid, and the page says with what",
            trigger: "#wrapwrap.o_rtl .o_clinic_paid ~ .o_clinic_paid_with .o_clinic_paid_card",
        },
        {
            content: "Open the cancellation form",
            trigger: ".o_clinic_cancel_toggle",
            run: "click",
        },
        {
            content: "Before confirming, the form says the payment goes back to the card",
            trigger: "#clinic_cancel_form.show .o_clinic_cancel_outcome .o_clinic_paid_card",
        },
        {
            content: "Confirm the cancellation",
            trigger: "#clinic_cancel_form.show .o_clinic_cancel_confirm",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Cancelled, and the payment refunded to the card",
            trigger: ".o_clinic_cancelled:contains('הפגישה שלך בוטלה') ~ .card .o_clinic_cancel_refunded",
        },
        {
            content: "Back to all appointments",
            trigger: "a.o_clinic_all_appointments",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Open the cancelled appointment",
            trigger: ".o_clinic_past a.o_clinic_appointment:first",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Its page lists the credit note: open it",
            trigger: ".o_clinic_appointment_detail:has(.o_clinic_cancel_refunded) a.o_clinic_credit_note",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The credit note's own page",
            trigger: ".o_portal_invoice_sidebar",
        },
    ],
});

// The one-page booking, from the page listing the services.
tours.add("clinic_portal_one_page_he", {
    steps: () => [
        {
            content: "The booking page is right-to-left and in Hebrew",
            trigger: "#wrapwrap.o_rtl .o_clinic_book h5:contains('בחירת שירות')",
        },
        ...bookOnOnePage("Check-up", "קביעת הפגישה"),
        checkAccessibility("the booked appointment", ".o_clinic_booked"),
        reportJourney(".o_clinic_booked:contains('הפגישה שלך נקבעה')"),
    ],
});

// The next free time, offered up front; another staff member, another month, another zone.
tours.add("clinic_portal_one_page_choices_he", {
    steps: () => [
        {
            content: "Choose the service",
            trigger: ".o_clinic_services .o_clinic_service[data-one-page]:contains('Check-up')",
            run: "click",
        },
        {
            content: "The time zone is named, not spelled as a database name",
            trigger: ".o_clinic_planner_tz:has(option:checked:contains('שעון ישראל'))",
        },
        {
            content: "Choose the second staff member",
            trigger: ".o_clinic_planner_staff",
            run: "selectByLabel Booking Staff Two",
        },
        {
            content: "Show the times in the clinic's time zone, named in Hebrew",
            trigger: ".o_clinic_planner_tz:has(option[value='Europe/Paris']:contains('שעון מרכז אירופה'))",
            run: "select Europe/Paris",
        },
        {
            content: "The times are now shown in it",
            trigger: ".o_clinic_planner_tz:has(option[value='Europe/Paris']:checked)",
        },
        {
            content: "Later month",
            trigger: ".o_clinic_month_next:enabled",
            run: "click",
        },
        {
            content: "Back to the first month",
            trigger: ".o_clinic_month_prev:enabled",
            run: "click",
        },
        {
            content: "In the first month, there is no earlier one",
            trigger: ".o_clinic_planner:not([aria-busy]) .o_clinic_month_prev:disabled",
        },
        {
            content: "Take the next free time offered up front",
            trigger: ".o_clinic_planner_next_row:not(.d-none) .o_clinic_next_free",
            run: "click",
        },
        {
            content: "Its confirmation names the chosen staff member",
            trigger: ".o_clinic_planner_confirm .o_clinic_confirm_staff:contains('Booking Staff Two')",
        },
        {
            content: "Confirm",
            trigger: ".o_clinic_planner_confirm .o_clinic_confirm_button",
            run: "click",
            expectUnloadPage: true,
        },
        reportJourney(".o_clinic_booked"),
    ],
});

// A prepaid service from the page listing the services: its confirmation says the time is
// held while paying, then Odoo's payment form pays it.
tours.add("clinic_portal_one_page_prepay_he", {
    steps: () => [
        ...bookOnOnePage("Paid consultation", "", ".o_clinic_prepayment_note"),
        checkAccessibility("the payment page", ".o_clinic_pay_page .o_clinic_hold"),
        {
            content: "Odoo's payment form speaks Hebrew too",
            trigger: ".o_clinic_pay_page:contains('אמצעי תשלום'):not(:contains('Payment method'))",
        },
        ...demoCard(".o_clinic_pay_page", "Pay"),
        checkAccessibility("the paid appointment", ".o_clinic_appointment_detail .o_clinic_paid"),
        reportJourney("#wrapwrap.o_rtl .o_clinic_appointment_detail .o_clinic_paid"),
    ],
});
