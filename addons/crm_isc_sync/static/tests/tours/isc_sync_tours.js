import { registry } from "@web/core/registry";

// The one-contact sync, as Vietnamese-speaking staff: "Cập nhật tài khoản Isc" → "Có" → notification.
registry.category("web_tour.tours").add("crm_isc_sync_contact_tour", {
    steps: () => [
        {
            content: "Click 'Cập nhật tài khoản Isc' on the contact form",
            trigger: ".o_form_view button[name='action_isc_sync_account']:contains('Cập nhật tài khoản Isc')",
            run: "click",
        },
        {
            content: "Confirm with 'Có'",
            trigger: ".modal-footer button:contains('Có')",
            run: "click",
        },
        {
            content: "The 'sync succeeded' notification is shown",
            trigger: ".o_notification:contains('Đồng bộ thành công')",
        },
        {
            content: "The Isc account is shown on the contact",
            trigger: ".o_form_view .o_field_widget[name='isc_account_login']:contains('isc000021')",
        },
    ],
});

// The date-range sync: "Cập nhập DS tài khoản Isc" on the list → range → "Đồng bộ" → counts.
registry.category("web_tour.tours").add("crm_isc_sync_range_tour", {
    steps: () => [
        {
            content: "Click 'Cập nhập DS tài khoản Isc' above the contact list",
            trigger: ".o_list_view button:contains('Cập nhập DS tài khoản Isc')",
            run: "click",
        },
        {
            content: "The range to sync is asked, from the last 24 hours by default",
            trigger: ".modal .o_field_widget[name='date_from'] input:value(/\\d/)",
        },
        {
            content: "Click 'Đồng bộ'",
            trigger: ".modal-footer button:contains('Đồng bộ')",
            run: "click",
        },
        {
            content: "The result gives the counts",
            trigger: ".o_notification:contains('Đồng bộ thành công'):contains('đã cập nhật')",
        },
        {
            content: "The contact now shows its Isc account in the list",
            trigger: ".o_data_row:contains('Bệnh nhân Tour') td[name='isc_account_login']:contains('isc000021')",
        },
    ],
});
