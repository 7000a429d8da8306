import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("clinic_portal_home", {
    url: "/my",
    steps: () => [
        {
            content: "The patient lands on their portal home",
            trigger: ".o_portal_my_home",
        },
    ],
});
