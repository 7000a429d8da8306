import { registry } from "@web/core/registry";

// The settings screen, whoever opens it: changes the minimum hours before a new appointment.
const changeMinimumHours = () => [
    {
        content: "The settings page is right-to-left and opens on the client portal app",
        trigger: "body.o_rtl .app_settings_block[data-key='clinic_portal']",
    },
    {
        content: "The client portal block is titled in Hebrew",
        trigger: ".app_settings_block[data-key='clinic_portal'] h2:contains('פורטל לקוח')",
    },
    {
        content: "The setting is labelled in Hebrew",
        trigger: "#clinic_portal_min_hours_new:contains('מינימום שעות לפני פגישה חדשה')",
    },
    {
        content: "Change the minimum hours before a new appointment",
        trigger: "div[name='clinic_portal_min_hours_new'] input",
        run: "edit 72",
    },
    {
        content: "Save: the settings are written and the whole page reloads",
        trigger: ".o_form_button_save",
        run: "click",
        expectUnloadPage: true,
    },
    {
        content: "After the reload the new value is kept, in Hebrew and right-to-left",
        trigger: "body.o_rtl #clinic_portal_min_hours_new:contains('מינימום שעות לפני פגישה חדשה') div[name='clinic_portal_min_hours_new'] input:value('72')",
    },
];

// A Hebrew-speaking administrator changes the minimum hours before a new appointment.
registry.category("web_tour.tours").add("clinic_portal_settings_he", {
    steps: () => changeMinimumHours(),
});

// The clinic administrator, who has no system rights, finds the screen in the clinic's menu.
registry.category("web_tour.tours").add("clinic_portal_settings_clinic_admin_he", {
    steps: () => [
        {
            content: "Open the clinic's configuration menu",
            trigger: ".o_main_navbar button:contains('תצורה')",
            run: "click",
        },
        {
            content: "Open the client portal settings",
            trigger: ".o-dropdown--menu a:contains('הגדרות פורטל לקוח')",
            run: "click",
        },
        ...changeMinimumHours(),
    ],
});
