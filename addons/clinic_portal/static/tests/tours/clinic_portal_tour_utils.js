// Steps the booking tours share.

/**
 * A patient on a service's booking page picks a staff member, the first day with free
 * time and that day's first free time, which opens the confirm page.
 *
 * @param {string} staffTrigger the staff member's button (by default the first one)
 */
export function firstFreeTime(staffTrigger = ".o_clinic_staff_list .o_clinic_staff_option:first") {
    return [
        {
            content: "Choose the staff member",
            trigger: staffTrigger,
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Choose the first day with free time",
            trigger: ".o_clinic_days .o_clinic_day:first",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Choose the first free time",
            trigger: ".o_clinic_times .o_clinic_time:first",
            run: "click",
            expectUnloadPage: true,
        },
    ];
}
