import { registry } from "@web/core/registry";

import {
    checkAccessibility,
    firstFreeTime,
    reportJourney,
} from "@clinic_portal/../tests/tours/clinic_portal_tour_utils";

// A Hebrew-speaking patient with a plan of ten sessions books the first one under the
// clinic's alias, sees nine left, moves it, cancels it and sees ten left again.
const tours = registry.category("web_tour.tours");

function sessionsLeft(count) {
    return {
        content: `${count} sessions of the plan are left`,
        trigger: `#wrapwrap.o_rtl .o_clinic_plan_sessions .o_clinic_plan_left[data-left='${count}']`,
    };
}

function toTheBookingPage() {
    return [
        {
            content: "Back to the appointments",
            trigger: ".o_clinic_all_appointments",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Book an appointment",
            trigger: ".o_clinic_book_button:contains('תיאום פגישה')",
            run: "click",
            expectUnloadPage: true,
        },
    ];
}

tours.add("clinic_portal_plan_session_he", {
    steps: () => [
        {
            content: "The sessions of the plan are under the clinic's alias",
            trigger: "#wrapwrap.o_rtl .o_clinic_plan_alias:contains('שירות ממנו')",
        },
        sessionsLeft(10),
        checkAccessibility("the services and the plan's sessions", ".o_clinic_plan_sessions"),
        {
            content: "Choose the session of the plan",
            trigger: ".o_clinic_plan_sessions .o_clinic_plan_line:first",
            run: "click",
            expectUnloadPage: true,
        },
        ...firstFreeTime(undefined, true),
        {
            content: "The confirm page says it is the first session, with nothing to pay",
            trigger: ".o_clinic_confirm:not(:has(.o_clinic_price)) .o_clinic_plan_session:contains('1'):contains('10')",
        },
        checkAccessibility("the confirm page of a session of the plan", ".o_clinic_confirm_button"),
        {
            content: "Confirm",
            trigger: ".o_clinic_confirm_button:contains('קביעת הפגישה')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The session is booked",
            trigger: ".o_clinic_booked:contains('הפגישה שלך נקבעה')",
        },
        {
            content: "The appointment is the plan's first session",
            trigger: ".o_clinic_appointment_detail .o_clinic_plan_session:contains('1'):contains('10')",
        },
        checkAccessibility("the session booked", ".o_clinic_booked"),
        ...toTheBookingPage(),
        sessionsLeft(9),
        {
            content: "Back to the appointments",
            trigger: ".breadcrumb a[href$='/my/appointments']",
            run: "click",
            expectUnloadPage: true,
        },
        checkAccessibility("the appointments", ".o_clinic_upcoming .o_clinic_appointment"),
        {
            content: "Open the session",
            trigger: ".o_clinic_upcoming .o_clinic_appointment:first",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Reschedule it",
            trigger: ".o_clinic_reschedule:contains('תיאום מחדש')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The month of free times shows on the same page: choose its last day",
            trigger: ".o_clinic_planner:not([aria-busy]) .o_clinic_planner_day_button:last",
            run: "click",
        },
        checkAccessibility("the month of free times to move the session", ".o_clinic_planner_time"),
        {
            content: "Choose its last free time",
            trigger: ".o_clinic_planner .o_clinic_planner_time:last",
            run: "click",
        },
        checkAccessibility(
            "the confirmation of the move",
            ".o_clinic_planner_confirm .o_clinic_confirm_button"
        ),
        {
            content: "Confirm the move, on the same page",
            trigger: ".o_clinic_planner_confirm .o_clinic_confirm_button",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The session was moved, still the plan's first",
            trigger: ".o_clinic_rescheduled:contains('הפגישה שלך הועברה') ~ .card .o_clinic_plan_session:contains('1')",
        },
        checkAccessibility("the session moved", ".o_clinic_rescheduled"),
        {
            content: "Open the cancellation form",
            trigger: ".o_clinic_cancel_toggle:contains('ביטול הפגישה')",
            run: "click",
        },
        checkAccessibility("the cancellation form of the session", "#clinic_cancel_form.show"),
        {
            content: "Confirm the cancellation",
            trigger: "#clinic_cancel_form.show .o_clinic_cancel_confirm",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The session is cancelled",
            trigger: ".o_clinic_cancelled:contains('הפגישה שלך בוטלה')",
        },
        checkAccessibility("the session cancelled", ".o_clinic_cancelled"),
        ...toTheBookingPage(),
        sessionsLeft(10),
        reportJourney(".o_clinic_plan_sessions .o_clinic_plan_left[data-left='10']"),
    ],
});
