import { registry } from "@web/core/registry";

// A Hebrew-speaking patient reads the list of their invoices and credit notes: on a phone
// 375 px wide nothing is wider than the screen, the page nor the table, and the credit note
// of a cancelled appointment leads back to it by its breadcrumbs; on a computer every column
// is shown.
const tours = registry.category("web_tour.tours");

const TABLE = "#wrapwrap.o_rtl .o_portal_my_doc_table";

function shown(cells) {
    return [...cells].filter((cell) => cell.getClientRects().length);
}

function shownColumns() {
    return shown(document.querySelectorAll(`${TABLE} thead th`)).map((th) => th.getAttribute("name"));
}

// Every invoice's status is under the Status heading.
function expectStatusUnderItsHeading() {
    const column = shownColumns().indexOf("status");
    for (const row of document.querySelectorAll(`${TABLE} tbody tr`)) {
        const status = shown(row.children).findIndex((td) => td.getAttribute("name") === "invoice_status");
        if (status !== column) {
            throw new Error(`A status is in column ${status}, under the heading of column ${column}`);
        }
    }
}

function measure() {
    const table = document.querySelector(TABLE);
    const box = table.closest(".table-responsive") || table.parentElement;
    const figures = {
        pageWidth: document.documentElement.scrollWidth,
        screenWidth: window.innerWidth,
        tableWidth: box.scrollWidth,
        tableBoxWidth: box.clientWidth,
        columns: shownColumns(),
    };
    console.log(`clinic-invoice-list ${JSON.stringify(figures)}`);
    return figures;
}

function expectColumns(expected) {
    const columns = shownColumns();
    if (JSON.stringify(columns) !== JSON.stringify(expected)) {
        throw new Error(`The invoice list shows the columns ${columns}, not ${expected}`);
    }
}

tours.add("clinic_portal_invoice_list_phone_he", {
    steps: () => [
        {
            content: "The invoice list, right to left",
            trigger: `${TABLE} tbody tr`,
        },
        {
            content: "Each invoice's date is under its number",
            trigger: `${TABLE} tbody tr td:first-child .o_clinic_invoice_date_phone`,
        },
        {
            content: "Nothing is wider than the phone's screen, the Pay button of an open invoice included",
            trigger: `${TABLE} tbody tr a[href*='payment=True']`,
            run() {
                const figures = measure();
                if (figures.pageWidth > figures.screenWidth) {
                    throw new Error(`The page is ${figures.pageWidth} px wide on a screen of ${figures.screenWidth} px`);
                }
                if (figures.tableWidth > figures.tableBoxWidth) {
                    throw new Error(`The table is ${figures.tableWidth} px wide in ${figures.tableBoxWidth} px`);
                }
                // The date is under the number; the last column is the Pay button's.
                expectColumns(["invoice_number", "amount_due", "status", null]);
                expectStatusUnderItsHeading();
            },
        },
        {
            content: "Open the credit note of the cancelled appointment",
            trigger: `${TABLE} tbody tr td:first-child a:contains('RINV'):first`,
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Its breadcrumbs name the appointment, and fit the phone's screen",
            trigger: "#wrapwrap.o_rtl .o_portal_submenu .o_clinic_breadcrumb_appointment a",
            run() {
                const page = document.documentElement.scrollWidth;
                console.log(`clinic-invoice-page ${JSON.stringify({ pageWidth: page, screenWidth: window.innerWidth })}`);
                if (page > window.innerWidth) {
                    throw new Error(`The credit note's page is ${page} px wide on a screen of ${window.innerWidth} px`);
                }
            },
        },
        {
            content: "Back to the appointment by its breadcrumb",
            trigger: "#wrapwrap.o_rtl .o_portal_submenu .o_clinic_breadcrumb_appointment a",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The cancelled appointment's page",
            trigger: ".o_clinic_appointment_detail .o_clinic_credit_note",
        },
    ],
});

tours.add("clinic_portal_invoice_list_desktop_he", {
    steps: () => [
        {
            content: "Every column of the invoice list on a computer",
            trigger: `${TABLE} tbody tr`,
            run() {
                const figures = measure();
                if (figures.pageWidth > figures.screenWidth) {
                    throw new Error(`The page is ${figures.pageWidth} px wide on a screen of ${figures.screenWidth} px`);
                }
                expectColumns(["invoice_number", "invoice_date", "due_date", "amount_due", "status", null, null]);
                if (shown(document.querySelectorAll(`${TABLE} .o_clinic_invoice_date_phone`)).length) {
                    throw new Error("The date is shown twice, in its column and under the number");
                }
                expectStatusUnderItsHeading();
            },
        },
    ],
});
