import { registry } from "@web/core/registry";

import {
    bookOnOnePage,
    checkAccessibility,
    demoCard,
    firstFreeTime,
    reportJourney,
} from "@clinic_portal/../tests/tours/clinic_portal_tour_utils";

// A card as guarantee, in Hebrew and right-to-left: a patient leaves a card and books, and
// a member of the staff charges the no-show fee to it.
const tours = registry.category("web_tour.tours");

tours.add("clinic_portal_guarantee_he", {
    steps: () => [
        {
            content: "The service is booked with a card: the page says so, right-to-left",
            trigger: "#wrapwrap.o_rtl .o_clinic_guarantee_note",
        },
        ...firstFreeTime(),
        {
            content: "The confirmation says a card is saved next, and nothing charged",
            trigger: ".o_clinic_confirm .o_clinic_guarantee_note .o_clinic_no_show_fee",
        },
        {
            content: "Continue to save a card",
            trigger: ".o_clinic_confirm_button",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The held time and Odoo's form saving a card",
            trigger: ".o_clinic_card_page .o_clinic_card_hold",
        },
        ...demoCard(".o_clinic_card_page", "Save the card"),
        {
            content: "Back on the appointment: booked, the card kept as guarantee",
            trigger: "#wrapwrap.o_rtl .o_clinic_appointment_detail .o_clinic_guarantee .o_clinic_card:contains('4242')",
        },
    ],
});

tours.add("clinic_portal_no_show_fee_he", {
    steps: () => [
        {
            content: "The appointment's Clinic tab, right-to-left",
            trigger: "body.o_rtl .o_form_view .o_notebook a.nav-link[name='clinic']",
            run: "click",
        },
        {
            content: "The card kept as guarantee is shown",
            trigger: ".o_field_widget[name='clinic_guarantee_token_id']:contains('4242')",
        },
        {
            content: "Charge the no-show fee",
            trigger: ".o_form_view button[name='action_clinic_charge_no_show_fee']",
            run: "click",
        },
        {
            content: "Confirm the charge",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The staff member is told the fee is charged",
            trigger: ".o_notification:has(.o_notification_bar.bg-success)",
        },
        {
            content: "The button is gone once the fee is charged",
            trigger: ".o_form_view:not(:has(button[name='action_clinic_charge_no_show_fee']))",
        },
    ],
});

// A service booked with a card, from the page listing the services: its confirmation says a
// card is saved next and nothing is charged, then Odoo's form saves the card.
tours.add("clinic_portal_one_page_guarantee_he", {
    steps: () => [
        ...bookOnOnePage("Physio session", "", ".o_clinic_guarantee_note .o_clinic_no_show_fee"),
        checkAccessibility("the card page", ".o_clinic_card_page .o_clinic_card_hold"),
        ...demoCard(".o_clinic_card_page", "Save the card"),
        checkAccessibility("the guaranteed appointment", ".o_clinic_appointment_detail .o_clinic_guarantee"),
        reportJourney("#wrapwrap.o_rtl .o_clinic_appointment_detail .o_clinic_guarantee .o_clinic_card:contains('4242')"),
    ],
});
