import { registry } from "@web/core/registry";

import {
    checkAccessibility,
    reportJourney,
} from "@clinic_portal/../tests/tours/clinic_portal_tour_utils";

// A Hebrew-speaking client enrolled in a course books a make-up session in another group of
// the course, right-to-left, and sees the make-up sessions left go down by one.
registry.category("web_tour.tours").add("clinic_portal_course_makeup_he", {
    steps: () => [
        {
            content: "The courses page is right-to-left, with 14 make-up sessions left",
            trigger: "#wrapwrap.o_rtl .o_clinic_courses .o_clinic_makeup_left[data-left='14']",
        },
        checkAccessibility("the client's courses", ".o_clinic_courses .o_clinic_enrollment"),
        {
            content: "Make up a meeting",
            trigger: ".o_clinic_enrollment .o_clinic_makeup_button",
            run: "click",
            expectUnloadPage: true,
        },
        checkAccessibility(
            "the meetings of the other groups to make up",
            ".o_clinic_makeup_meetings .o_clinic_makeup_meeting"
        ),
        {
            content: "Book the first meeting of the other group",
            trigger: ".o_clinic_makeup_meetings .o_clinic_makeup_meeting:first .o_clinic_makeup_book",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The make-up session is booked",
            trigger: ".o_clinic_makeup_booked",
        },
        checkAccessibility("the make-up session booked", ".o_clinic_makeup_booked"),
        {
            content: "It is among the client's meetings",
            trigger: ".o_clinic_course_meetings .o_clinic_makeup_seat",
        },
        reportJourney(".o_clinic_enrollment .o_clinic_makeup_left[data-left='13']"),
    ],
});
