import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";

/**
 * The one-page booking. On the page that lists the services, choosing one that needs nothing
 * before a time (no form due, no payment the portal cannot take) stays on the page: its
 * staff, a month of days with free times, the times of a day and the confirmation appear
 * here, the month's times from the times route, the confirmation from the confirm page.
 * The only page load left is the booked appointment. Without a script, the same links lead
 * through the pages of each step.
 */
export class ClinicBookingPlanner extends Interaction {
    static selector = ".o_clinic_book";
    static selectorHas = ".o_clinic_planner";
    dynamicContent = {
        ".o_clinic_service[data-one-page]": {
            "t-on-click.prevent.withTarget": this.onService,
        },
        ".o_clinic_planner_change": { "t-on-click": this.onChange },
        ".o_clinic_planner_staff": { "t-on-change": this.onStaff },
        ".o_clinic_planner_tz": { "t-on-change": this.onZone },
        ".o_clinic_month_prev": { "t-on-click": () => this.loadMonth(this.data?.prev) },
        ".o_clinic_month_next": { "t-on-click": () => this.loadMonth(this.data?.next) },
        ".o_clinic_next_free": { "t-on-click": this.onNextFree },
        ".o_clinic_planner_day_button": {
            "t-on-click.withTarget": (ev, el) => this.showDay(el.dataset.day, true),
        },
        ".o_clinic_planner_time": { "t-on-click.withTarget": this.onTime },
    };

    setup() {
        this.planner = this.el.querySelector(".o_clinic_planner");
        this.list = this.el.querySelector(".o_clinic_services");
        this.service = null;
        this.data = null;
        this.zone = null;
        this.browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    }

    start() {
        // Rescheduling: the appointment's service and staff member are set, the month shows.
        this.eventId = this.planner.dataset.eventId;
        if (this.eventId) {
            this.staff = "any";
            this.staffShown = true;
            this.el.querySelector(".o_clinic_day_steps")?.classList.add("d-none");
            this.planner.classList.remove("d-none");
            this.loadMonth(null);
        }
    }

    q(selector) {
        return this.planner.querySelector(selector);
    }

    onService(ev, serviceEl) {
        this.service = serviceEl.dataset;
        this.q(".o_clinic_planner_service").textContent = this.service.serviceName;
        this.q(".o_clinic_planner_duration").textContent = this.service.duration;
        this.staff = "any";
        this.staffShown = false;
        this.el.querySelector(".o_clinic_service_step").classList.add("d-none");
        this.planner.classList.remove("d-none");
        this.loadMonth(null).then(() => this.q(".o_clinic_planner_staff").focus());
    }

    onChange() {
        this.planner.classList.add("d-none");
        this.el.querySelector(".o_clinic_service_step").classList.remove("d-none");
        this.clearConfirm();
        this.list.querySelector(`[data-service-id="${this.service.serviceId}"]`)?.focus();
    }

    onStaff(ev) {
        this.staff = ev.target.value;
        this.loadMonth(this.data?.month);
    }

    onZone(ev) {
        this.zone = ev.target.value;
        this.loadMonth(this.data?.month);
    }

    onNextFree() {
        this.showDay(this.data.days[0].day, false);
        return this.onTime(null, this.q(".o_clinic_planner_time"));
    }

    async loadMonth(month) {
        const params = new URLSearchParams(
            this.eventId
                ? { event: this.eventId, browser_tz: this.browserZone }
                : {
                      service: this.service.serviceId,
                      staff: this.staff,
                      browser_tz: this.browserZone,
                  }
        );
        // Booking for a family member: every rule is theirs.
        if (this.planner.dataset.patient && !this.eventId) {
            params.set("patient", this.planner.dataset.patient);
        }
        if (month) {
            params.set("month", month);
        }
        if (this.zone) {
            params.set("tz", this.zone);
        }
        this.clearConfirm();
        // Only the last request counts; while it runs, nothing of the previous month is chosen.
        const request = (this.request = (this.request || 0) + 1);
        this.planner.setAttribute("aria-busy", "true");
        this.q(".o_clinic_planner_next_row").classList.add("d-none");
        this.q(".o_clinic_planner_times_block").classList.add("d-none");
        let data;
        try {
            const response = await this.waitFor(
                fetch(`${this.planner.dataset.timesUrl}?${params}`, {
                    headers: { Accept: "application/json" },
                })
            );
            data = await this.waitFor(response.json());
            if (request !== this.request) {
                return;
            }
        } catch {
            // Offline or a page the server could not answer: the steps' pages still can.
            if (this.eventId) {
                this.planner.classList.add("d-none");
                this.el.querySelector(".o_clinic_day_steps")?.classList.remove("d-none");
            } else {
                window.location.href = this.list
                    .querySelector(`[data-service-id="${this.service.serviceId}"]`)
                    .getAttribute("href");
            }
            return;
        }
        this.planner.removeAttribute("aria-busy");
        this.showError(data.error || "");
        if (data.error) {
            return;
        }
        this.data = data;
        this.renderStaff(data.staff);
        this.renderZones(data.zones, data.tz);
        this.renderMonth();
        const limit = this.q(".o_clinic_limit");
        limit.textContent = data.limit_message;
        limit.classList.toggle("d-none", !data.limit_message);
        const first = data.days[0];
        this.q(".o_clinic_planner_next_row").classList.toggle("d-none", !first);
        if (first) {
            this.q(".o_clinic_next_free").textContent = `${first.label} ${first.times[0].time}`;
        }
        this.showDay(first?.day, false);
    }

    showError(message) {
        const error = this.q(".o_clinic_planner_error");
        error.textContent = message;
        error.classList.toggle("d-none", !message);
    }

    renderStaff(staff) {
        const select = this.q(".o_clinic_planner_staff");
        if (!this.staffShown) {
            const any = select.options[0];
            select.replaceChildren(any);
            for (const member of staff) {
                select.add(new Option(member.name, String(member.id)));
            }
            any.hidden = staff.length < 2;
            if (staff.length < 2 && staff.length) {
                this.staff = String(staff[0].id);
            }
            select.value = this.staff;
            select.disabled = staff.length < 2;
            this.staffShown = true;
        }
    }

    renderZones(zones, current) {
        const select = this.q(".o_clinic_planner_tz");
        select.replaceChildren(...zones.map((zone) => new Option(zone.name, zone.zone)));
        select.value = current;
        select.disabled = zones.length < 2;
    }

    renderMonth() {
        const data = this.data;
        this.q(".o_clinic_month_title").textContent = data.title;
        this.q(".o_clinic_month_prev").disabled = !data.prev;
        this.q(".o_clinic_month_next").disabled = !data.next;
        const head = this.q(".o_clinic_month_weekdays");
        head.replaceChildren(
            ...data.weekdays.map((letter, index) => {
                const th = document.createElement("th");
                th.scope = "col";
                th.className = "small text-muted fw-normal";
                const abbr = document.createElement("abbr");
                abbr.title = data.weekday_names[index];
                abbr.className = "text-decoration-none";
                abbr.textContent = letter;
                th.append(abbr);
                return th;
            })
        );
        const byDay = new Map(data.days.map((day) => [day.day, day]));
        const [year, month] = data.month.split("-").map(Number);
        const first = new Date(Date.UTC(year, month - 1, 1));
        const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
        // Python counts weekdays from Monday (0), JavaScript from Sunday (0).
        const lead = (first.getUTCDay() + 6 - data.first_weekday + 7) % 7;
        const rows = [];
        let row = document.createElement("tr");
        for (let i = 0; i < lead; i++) {
            row.append(document.createElement("td"));
        }
        for (let dayNumber = 1; dayNumber <= length; dayNumber++) {
            const iso = `${data.month}-${String(dayNumber).padStart(2, "0")}`;
            const cell = document.createElement("td");
            const day = byDay.get(iso);
            if (day) {
                const button = document.createElement("button");
                button.type = "button";
                button.className = "btn btn-sm btn-outline-primary w-100 o_clinic_planner_day_button";
                button.dataset.day = iso;
                button.textContent = dayNumber;
                button.setAttribute("aria-label", day.label);
                cell.append(button);
            } else {
                const span = document.createElement("span");
                span.className = "d-inline-block py-1 text-body-secondary";
                span.textContent = dayNumber;
                cell.append(span);
            }
            row.append(cell);
            if (row.children.length === 7) {
                rows.push(row);
                row = document.createElement("tr");
            }
        }
        if (row.children.length) {
            rows.push(row);
        }
        this.q(".o_clinic_month tbody").replaceChildren(...rows);
        this.q(".o_clinic_no_days").classList.toggle("d-none", data.days.length > 0);
    }

    showDay(iso, focus) {
        this.clearConfirm();
        const day = this.data.days.find((d) => d.day === iso);
        for (const button of this.planner.querySelectorAll(".o_clinic_planner_day_button")) {
            const chosen = button.dataset.day === iso;
            button.classList.toggle("btn-primary", chosen);
            button.classList.toggle("btn-outline-primary", !chosen);
            button.setAttribute("aria-pressed", String(chosen));
        }
        this.q(".o_clinic_planner_times_block").classList.toggle("d-none", !day);
        if (!day) {
            return;
        }
        this.q(".o_clinic_planner_day").textContent = day.label;
        this.q(".o_clinic_times").replaceChildren(
            ...day.times.map((time) => {
                const col = document.createElement("div");
                col.className = "col";
                const button = document.createElement("button");
                button.type = "button";
                button.className = "btn btn-outline-success w-100 o_clinic_time o_clinic_planner_time";
                button.dataset.start = time.start;
                button.dir = "ltr";
                button.setAttribute("aria-pressed", "false");
                button.textContent = time.time;
                col.append(button);
                return col;
            })
        );
        if (focus) {
            this.q(".o_clinic_planner_time")?.focus();
        }
    }

    async onTime(ev, button) {
        for (const other of this.planner.querySelectorAll(".o_clinic_planner_time")) {
            const chosen = other === button;
            other.classList.toggle("btn-success", chosen);
            other.classList.toggle("btn-outline-success", !chosen);
            other.setAttribute("aria-pressed", String(chosen));
        }
        const params = new URLSearchParams(
            this.eventId
                ? { start: button.dataset.start }
                : { service: this.service.serviceId, staff: this.staff, start: button.dataset.start }
        );
        if (this.planner.dataset.patient && !this.eventId) {
            params.set("patient", this.planner.dataset.patient);
        }
        const response = await this.waitFor(
            fetch(`${this.planner.dataset.confirmUrl}?${params}`)
        );
        const page = new DOMParser().parseFromString(
            await this.waitFor(response.text()),
            "text/html"
        );
        const confirm = page.querySelector(".o_clinic_confirm") || page.querySelector(".o_clinic_book");
        const target = this.q(".o_clinic_planner_confirm");
        if (!confirm) {
            target.replaceChildren();
            return;
        }
        // The confirm page's own way back is this page's list of times.
        confirm.querySelectorAll("form a.btn-link, .o_clinic_restart").forEach((a) => a.remove());
        confirm.querySelector("h3")?.classList.replace("mb-3", "h5");
        target.replaceChildren(...confirm.childNodes);
        target.classList.add("border-top", "pt-3", "mt-3");
        target.querySelector(".o_clinic_confirm_button, .o_clinic_restart, .alert")?.scrollIntoView({
            block: "nearest",
        });
    }

    clearConfirm() {
        const target = this.q(".o_clinic_planner_confirm");
        target.replaceChildren();
        target.classList.remove("border-top", "pt-3", "mt-3");
    }
}

registry
    .category("public.interactions")
    .add("clinic_portal.booking_planner", ClinicBookingPlanner);
