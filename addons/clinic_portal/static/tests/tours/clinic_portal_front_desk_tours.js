import { registry } from "@web/core/registry";

// The front desk, in Hebrew: this week's client appointments in a calendar coloured by
// service, then all of them in a list by staff member, where a missed one is marked a no-show.
registry.category("web_tour.tours").add("clinic_portal_front_desk_he", {
    steps: () => [
        {
            content: "The calendar shows the appointment booked in the client portal",
            trigger: "body.o_rtl .o_calendar_view .fc-event:contains('Booking Patient')",
            run: "click",
        },
        {
            content: "Its card names the service, the client and their phone",
            trigger: ".o_cw_popover:contains('Check-up'):contains('Booking Patient'):contains('765')",
        },
        {
            content: "Close the card",
            trigger: ".o_cw_popover .o_cw_popover_close",
            run: "click",
        },
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Open the first staff member's appointments",
            trigger: ".o_list_view .o_group_header:contains('Booking Staff'):not(:contains('Two'))",
            run: "click",
        },
        {
            content: "Only the appointment whose time has come can be marked a no-show",
            trigger: ".o_data_row:has(button[name='action_clinic_mark_no_show']):contains('Other Patient')",
        },
        {
            content: "Mark it a no-show",
            trigger: ".o_data_row button[name='action_clinic_mark_no_show']",
            run: "click",
        },
        {
            content: "It is marked",
            trigger: ".o_list_view:not(:has(.o_data_row button[name='action_clinic_mark_no_show']))",
        },
    ],
});
