// Steps the booking tours share.

/**
 * A patient on a service's booking page picks a staff member, the first day with free
 * time and that day's first free time, which opens the confirm page.
 *
 * @param {string} staffTrigger the staff member's button (by default the first one)
 * @param {boolean} [checked] each page checked with axe-core first (counted journeys only)
 */
export function firstFreeTime(
    staffTrigger = ".o_clinic_staff_list .o_clinic_staff_option:first",
    checked = false
) {
    const check = (state, trigger) => (checked ? [checkAccessibility(state, trigger)] : []);
    return [
        ...check("the staff of a service", ".o_clinic_staff_list"),
        {
            content: "Choose the staff member",
            trigger: staffTrigger,
            run: "click",
            expectUnloadPage: true,
        },
        ...check("the days with free time", ".o_clinic_days .o_clinic_day"),
        {
            content: "Choose the first day with free time",
            trigger: ".o_clinic_days .o_clinic_day:first",
            run: "click",
            expectUnloadPage: true,
        },
        ...check("the free times of a day", ".o_clinic_times .o_clinic_time"),
        {
            content: "Choose the first free time",
            trigger: ".o_clinic_times .o_clinic_time:first",
            run: "click",
            expectUnloadPage: true,
        },
    ];
}

/**
 * The last step of a counted journey: says in the browser's console the page loads and taps
 * the counter of journey_common.py saw, which the Python test reads.
 */
export function reportJourney(check) {
    return {
        content: "Report the page loads and taps of the journey",
        trigger: check,
        run() {
            const count = (name) => Number(sessionStorage.getItem(`clinicJourney.${name}`));
            console.log(`clinic-journey ${JSON.stringify({ loads: count("loads"), taps: count("taps") })}`);
        },
    };
}

/**
 * On the page listing the services, with a script: choosing a service shows its month of
 * free times on the same page, choosing a time its confirmation, confirming books it.
 *
 * @param {string} service the service's name
 * @param {string} [confirm] the confirm button's text
 * @param {string} [note] what the confirmation must show beside the button
 */
export function bookOnOnePage(service, confirm, note) {
    const button = confirm ? `:contains('${confirm}')` : "";
    const shown = note ? `:has(${note})` : "";
    return [
        checkAccessibility("the services", ".o_clinic_services"),
        {
            content: `Choose ${service}`,
            trigger: `.o_clinic_services .o_clinic_service[data-one-page]:contains('${service}')`,
            run: "click",
        },
        {
            content: "A month of free times appears, the first day's times shown",
            trigger: ".o_clinic_planner:not(.d-none) .o_clinic_month .o_clinic_planner_day_button.btn-primary",
        },
        checkAccessibility("a month of free times", ".o_clinic_planner_time"),
        {
            content: "Choose the first free time",
            trigger: ".o_clinic_planner .o_clinic_times .o_clinic_planner_time:first",
            run: "click",
        },
        checkAccessibility(
            "the confirmation on the booking page",
            ".o_clinic_planner_confirm .o_clinic_confirm_button"
        ),
        {
            content: "Confirm on the same page",
            trigger: `.o_clinic_planner_confirm${shown} .o_clinic_confirm_button${button}`,
            run: "click",
            expectUnloadPage: true,
        },
    ];
}

/**
 * Checks the page as it is now with axe-core (loaded by journey_common.py) against WCAG 2.1
 * AA, on the page's main content (the clinic's pages, not the website's header and footer),
 * and says the violations in the browser's console for the Python test to judge.
 *
 * @param {string} state what the page shows now, named in the report
 * @param {string} trigger what must be on the page first
 */
export function checkAccessibility(state, trigger = "main") {
    return {
        content: `Accessibility of: ${state}`,
        trigger,
        async run() {
            const result = await window.axe.run(document.querySelector("main") || document, {
                runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
                resultTypes: ["violations"],
            });
            const violations = result.violations.map((violation) => ({
                id: violation.id,
                impact: violation.impact,
                help: violation.help,
                targets: violation.nodes.map((node) => node.target.join(" ")),
                summary: violation.nodes[0]?.failureSummary || "",
            }));
            console.log(`clinic-axe ${JSON.stringify({ state, violations })}`);
        },
    };
}

/**
 * On a page with Odoo's payment form (``page``, its selector), the Demo provider's test card
 * entered and the form sent with its button (``submit``, the step's name): paid, or saved.
 */
export function demoCard(page, submit) {
    return [
        {
            content: "Enter the Demo provider's test card",
            trigger: `${page} #customer_input`,
            run: "edit 4242",
        },
        {
            content: submit,
            trigger: "button[name='o_payment_submit_button']:not(:disabled)",
            run: "click",
            expectUnloadPage: true,
        },
    ];
}
