import { registry } from "@web/core/registry";

import {
    checkAccessibility,
    firstFreeTime,
    reportJourney,
} from "@clinic_portal/../tests/tours/clinic_portal_tour_utils";

// Paying and leaving a card through EasyCard, in Hebrew and right-to-left. EasyCard's own page
// (its simulator) is another site: the tour waits on the clinic's side while the payer types
// the test card there, and goes on when EasyCard sends them back.
const tours = registry.category("web_tour.tours");

function throughEasyCard(page, button) {
    return [
        {
            content: "EasyCard is offered on Odoo's payment form",
            trigger: `${page} input[name='o_payment_radio'][data-provider-code='easycard']`,
            run: "click",
        },
        {
            content: button,
            trigger: "button[name='o_payment_submit_button']:not(:disabled)",
            run: "click",
            expectUnloadPage: true,
        },
    ];
}

tours.add("clinic_portal_easycard_prepay_he", {
    steps: () => [
        {
            content: "The service is paid when booked: the page says so, right-to-left",
            trigger: "#wrapwrap.o_rtl .o_clinic_prepayment_note",
        },
        ...firstFreeTime(undefined, true),
        checkAccessibility(
            "the confirm page of a prepaid service",
            ".o_clinic_confirm .o_clinic_confirm_button"
        ),
        {
            content: "Continue to payment",
            trigger: ".o_clinic_confirm .o_clinic_confirm_button",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The held time and Odoo's payment form",
            trigger: ".o_clinic_pay_page .o_clinic_hold",
        },
        checkAccessibility(
            "the payment page offering EasyCard",
            ".o_clinic_pay_page input[name='o_payment_radio'][data-provider-code='easycard']"
        ),
        ...throughEasyCard(".o_clinic_pay_page", "Pay on EasyCard's page"),
        {
            content: "Back from EasyCard on the appointment: paid",
            trigger: "#wrapwrap.o_rtl .o_clinic_appointment_detail .o_clinic_paid",
        },
        checkAccessibility(
            "the appointment paid on EasyCard",
            ".o_clinic_appointment_detail .o_clinic_paid"
        ),
        reportJourney(".o_clinic_appointment_detail .o_clinic_paid"),
    ],
});

tours.add("clinic_portal_easycard_card_he", {
    steps: () => [
        {
            content: "The service is booked with a card: the page says so, right-to-left",
            trigger: "#wrapwrap.o_rtl .o_clinic_guarantee_note",
        },
        ...firstFreeTime(undefined, true),
        checkAccessibility(
            "the confirm page of a service booked with a card",
            ".o_clinic_confirm .o_clinic_confirm_button"
        ),
        {
            content: "Continue to save a card",
            trigger: ".o_clinic_confirm .o_clinic_confirm_button",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The held time and Odoo's form saving a card",
            trigger: ".o_clinic_card_page .o_clinic_card_hold",
        },
        checkAccessibility(
            "the card page offering EasyCard",
            ".o_clinic_card_page input[name='o_payment_radio'][data-provider-code='easycard']"
        ),
        ...throughEasyCard(".o_clinic_card_page", "Leave the card on EasyCard's page"),
        {
            content: "Back from EasyCard: booked, the card kept as guarantee",
            trigger: "#wrapwrap.o_rtl .o_clinic_appointment_detail .o_clinic_guarantee .o_clinic_card:contains('1111')",
        },
        checkAccessibility(
            "the appointment guaranteed by a card left on EasyCard",
            ".o_clinic_appointment_detail .o_clinic_guarantee"
        ),
        reportJourney(".o_clinic_appointment_detail .o_clinic_guarantee .o_clinic_card"),
    ],
});
