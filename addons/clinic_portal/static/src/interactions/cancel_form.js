import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";

/**
 * The cancellation form of an appointment opens below the page's buttons: on a phone it
 * would open out of sight. Once open, it is scrolled into view and its reason field focused.
 */
export class ClinicCancelForm extends Interaction {
    static selector = "#clinic_cancel_form";

    start() {
        this.addListener(this.el, "shown.bs.collapse", () => {
            this.el.scrollIntoView({ block: "center", behavior: "instant" });
            this.el.querySelector("textarea")?.focus({ preventScroll: true });
        });
    }
}

registry.category("public.interactions").add("clinic_portal.cancel_form", ClinicCancelForm);
