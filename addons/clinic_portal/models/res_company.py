from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .. import const
from ..services.policy import DEFAULTS, PortalPolicy

SEARCH_RANGE_MAX_DAYS = 365
# The settings' field names, and the cursor cache key of the policies built from them.
PREFIX = "clinic_portal_"
POLICY_CACHE = "clinic_portal_policy"


class ResCompany(models.Model):
    _inherit = "res.company"

    # Settings are for staff: portal users read none of them (the portal reads them as sudo).
    # The client portal, self-scheduling and the booking rules
    clinic_portal_enabled = fields.Boolean(
        string="Enable client portal",
        help="Clients of this company can use the client portal: forms, appointments and "
             "invoices. Off: the portal pages of the clinic are closed.",
        groups="base.group_user",
    )
    clinic_portal_self_scheduling = fields.Boolean(
        string="Allow self-scheduling",
        help="Clients can book appointments by themselves in the client portal.",
        groups="base.group_user",
    )
    clinic_portal_min_hours_new = fields.Integer(
        string="Minimum hours before a new appointment", default=DEFAULTS["min_hours_new"],
        help="A new appointment booked in the portal starts at least this many hours from "
             "now. 0: any future slot.",
        groups="base.group_user",
    )
    clinic_portal_min_hours_change = fields.Integer(
        string="Minimum hours to make a change", default=DEFAULTS["min_hours_change"],
        help="An existing appointment can be rescheduled or cancelled in the portal only "
             "until this many hours before it starts.",
        groups="base.group_user",
    )
    clinic_portal_reminder_hours = fields.Integer(
        string="Reminder before the appointment (hours)", default=DEFAULTS["reminder_hours"],
        help="Clients get an e-mail reminder this many hours before an appointment booked or "
             "rescheduled in the portal. 0: no reminder.",
        groups="base.group_user",
    )
    clinic_portal_prevent_gaps = fields.Boolean(
        string="Prevent gaps",
        help="Offer only slots adjacent to an existing appointment or to the start or end of "
             "a working period, so that no idle gaps appear in staff calendars.",
        groups="base.group_user",
    )
    clinic_portal_allow_cancel = fields.Boolean(
        string="Allow cancelling appointments",
        help="Clients can cancel their appointments in the portal (within the minimum hours "
             "to make a change).",
        groups="base.group_user",
    )
    clinic_portal_allow_reschedule = fields.Boolean(
        string="Allow rescheduling appointments",
        help="Clients can move their appointments to another slot in the portal (within the "
             "minimum hours to make a change).",
        groups="base.group_user",
    )
    clinic_portal_makeup_sessions = fields.Integer(
        string="Make-up sessions allowed per course", default=DEFAULTS["makeup_sessions"],
        help="How many make-up sessions of a course a client may book in the portal. "
             "0: none.",
        groups="base.group_user",
    )
    clinic_portal_skip_payment_with_balance = fields.Boolean(
        string="Skip payment when the balance suffices",
        help="No payment step when the client's prepaid balance covers the price of the "
             "appointment.",
        groups="base.group_user",
    )
    clinic_portal_cancel_refund = fields.Selection(
        selection=[(const.CANCEL_REFUND_CARD, "Refund to the card when possible"),
                   (const.CANCEL_REFUND_BALANCE, "Keep as the client's balance")],
        string="Money of a cancelled paid appointment", required=True,
        default=DEFAULTS["cancel_refund"],
        help="A client who cancels a paid appointment in the portal gets a credit note of its "
             "invoice, and the money back on the card they paid with where the payment "
             "provider can refund it; otherwise, or when kept as the balance, it pays their "
             "next appointments.",
        groups="base.group_user",
    )
    clinic_portal_future_limit = fields.Integer(
        string="Future appointments limit", default=DEFAULTS["future_limit"],
        help="How many future appointments a client may hold at once. 0 or empty: no limit.",
        groups="base.group_user",
    )
    clinic_portal_future_limit_scope = fields.Selection(
        selection=[
            (const.LIMIT_PER_CALENDAR, "Per selected calendar"),
            (const.LIMIT_GLOBAL, "Global"),
        ],
        string="Future appointments limit scope", required=True,
        default=DEFAULTS["future_limit_scope"],
        help="Per selected calendar: the limit applies to each staff calendar separately. "
             "Global: the limit applies to all of a client's future appointments together.",
        groups="base.group_user",
    )
    clinic_portal_search_start_days = fields.Integer(
        string="Days to start of search", default=DEFAULTS["search_start_days"],
        help="The first day offered for booking is this many days from today (7: a week "
             "ahead). 0: from today.",
        groups="base.group_user",
    )
    clinic_portal_search_range_days = fields.Integer(
        string="Default range in days", default=DEFAULTS["search_range_days"],
        help="How many days, from the start of search, the portal looks ahead for free slots "
             "(1 to 365).",
        groups="base.group_user",
    )
    clinic_portal_slot_step = fields.Integer(
        string="Time step in minutes", default=DEFAULTS["slot_step"],
        help="Offered start times follow each other by this many minutes from the start of "
             "each working period (15: 08:00, 08:15 …). 0: by the service's duration.",
        groups="base.group_user",
    )
    clinic_portal_allow_registration = fields.Boolean(
        string="Allow new client registration",
        help="A prospect can register as a new client in the portal, then book.",
        groups="base.group_user",
    )
    clinic_portal_prevent_parallel = fields.Boolean(
        string="Prevent parallel appointments",
        help="No two appointments at the same time in one staff calendar.",
        groups="base.group_user",
    )
    clinic_portal_treating_team_only = fields.Boolean(
        string="Only calendars of the treating team",
        help="When a client has a treating team, only the calendars of its members are "
             "offered to that client.",
        groups="base.group_user",
    )
    # Payments at booking, invoicing, treatment plans, new clients and forms
    clinic_portal_hold_minutes = fields.Integer(
        string="Minutes to pay a held appointment", default=DEFAULTS["hold_minutes"],
        help="A service with a prepayment is held for the client this many minutes after they "
             "choose its time, while they pay; unpaid, the time is released by itself "
             "(1 to 1440).",
        groups="base.group_user",
    )
    clinic_portal_issuer_journal_id = fields.Many2one(
        "account.journal", string="Default issuer",
        domain="[('type', '=', 'sale')]",
        help="Sales journal, and so the issuing company, that invoices appointments paid in "
             "the portal, unless the service names its own. It must belong to this company or "
             "one of its branches. Empty: the company's first sales journal.",
        groups="base.group_user",
    )
    clinic_portal_plan_staff_only = fields.Boolean(
        string="Restrict plan sessions to the plan's staff",
        help="When booking a session of a treatment plan, offer only the calendars of the "
             "staff assigned in that plan.",
        groups="base.group_user",
    )
    clinic_portal_service_types = fields.Selection(
        selection=[
            (const.SERVICE_TYPES_REGULAR, "Regular"),
            (const.SERVICE_TYPES_PLAN, "Plan"),
            (const.SERVICE_TYPES_BOTH, "Both"),
        ],
        string="Service types", required=True, default=DEFAULTS["service_types"],
        help="What clients may book: Regular, services shown in the client portal; Plan, "
             "sessions of their treatment plans; Both.",
        groups="base.group_user",
    )
    clinic_portal_plan_alias = fields.Char(
        string="Alias for services from a plan", translate=True,
        default=lambda self: self.env._("Service from it"),
        help="The wording clients see for sessions of a treatment plan, e.g. \"Treatment "
             "from plan\" or \"Session from series\". Required when plans can be booked.",
        groups="base.group_user",
    )
    clinic_portal_new_client_company_id = fields.Many2one(
        "res.company", string="Branch for new clients",
        help="Branch (company) of clients who register in the portal. Empty: this company. "
             "It must be this company or one of its branches.",
        groups="base.group_user",
    )
    clinic_portal_new_client_department_id = fields.Many2one(
        "clinic.department", string="Department for new clients",
        help="Department of clients who register in the portal. It must belong to the branch "
             "for new clients, or to no branch.",
        groups="base.group_user",
    )
    clinic_portal_new_client_status_id = fields.Many2one(
        "clinic.client.status", string="Status for new clients",
        help="Client status given to clients who register in the portal.",
        groups="base.group_user",
    )
    clinic_registration_field_ids = fields.One2many(
        "clinic.registration.field", "company_id", string="Registration fields",
        help="Fields of the portal registration form besides first name, last name and "
             "mobile, which are always shown and required.",
        groups="base.group_user",
    )
    clinic_mandatory_form_ids = fields.One2many(
        "clinic.mandatory.form", "company_id", string="Mandatory forms",
        help="Forms clients must fill in the portal before they can book, each with its "
             "frequency.",
        groups="base.group_user",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._clinic_portal_setup()
        return companies

    def write(self, vals):
        if any(name.startswith(PREFIX) for name in vals):
            self.env.cr.cache.pop(POLICY_CACHE, None)
        return super().write(vals)

    def _clinic_portal_policy(self):
        """The client portal's policy of this company, else of the current one (in the portal,
        the website's), for forms, booking, courses, mails and registration alike (see
        readme/CONFIGURE.md). Built once per transaction, company and language (the plan
        alias is translated): a change of a setting builds it again."""
        company = (self[:1] or self.env.company).sudo()
        key = (company.id, company.write_date, self.env.lang)
        policies = self.env.cr.cache.setdefault(POLICY_CACHE, {})
        if key not in policies:
            policies[key] = PortalPolicy.from_company(company)
        return policies[key]

    @api.model
    def _clinic_portal_setup_all(self):
        """Give every company its registration fields and new-client status (install, upgrade)."""
        self.sudo().with_context(active_test=False).search([])._clinic_portal_setup()

    def _clinic_portal_setup(self):
        """One registration field row per field and company; the default new-client status."""
        registration_model = self.env["clinic.registration.field"].sudo()
        existing = {
            (line.company_id.id, line.field_name)
            for line in registration_model.search([("company_id", "in", self.ids)])
        }
        registration_model.create([
            {"company_id": company.id, "field_name": field_name, "sequence": sequence,
             "show": field_name in const.ALWAYS_ASKED, "required": field_name in const.ALWAYS_ASKED}
            for company in self
            for sequence, field_name in enumerate(const.REGISTRATION_FIELDS, start=1)
            if (company.id, field_name) not in existing
        ])
        status = self.env.ref("clinic_portal.client_status_interested", raise_if_not_found=False)
        if status:
            self.filtered(lambda c: not c.clinic_portal_new_client_status_id).sudo().write(
                {"clinic_portal_new_client_status_id": status.id})

    def _clinic_registration_configure(self, shown=(), required=()):
        """Set which registration fields are shown and required (a required field is shown;
        the e-mail is always both)."""
        for line in self.clinic_registration_field_ids:
            is_required = line.field_name in (*required, *const.ALWAYS_ASKED)
            line.write({"show": is_required or line.field_name in shown, "required": is_required})

    def _clinic_portal_issuer(self, product):
        """The sales journal that invoices ``product`` booked in this company's portal: the
        service's own issuer when it belongs to this company or a branch, else the default
        issuer, else the company's first sales journal (empty when it has none)."""
        self.ensure_one()
        for journal in (product.sudo().clinic_issuer_journal_id,
                        self.sudo().clinic_portal_issuer_journal_id):
            if journal and self in journal.company_id.parent_ids:
                return journal
        return self.env["account.journal"].sudo().search(
            [*self.env["account.journal"]._check_company_domain(self), ("type", "=", "sale")],
            limit=1)

    def _clinic_portal_new_client_company(self):
        """The branch where clients who register in this company's portal are created."""
        self.ensure_one()
        return self.clinic_portal_new_client_company_id or self

    @api.constrains(
        "clinic_portal_min_hours_new", "clinic_portal_min_hours_change",
        "clinic_portal_reminder_hours", "clinic_portal_makeup_sessions",
        "clinic_portal_future_limit",
        "clinic_portal_search_start_days", "clinic_portal_search_range_days",
        "clinic_portal_slot_step",
    )
    def _check_clinic_portal_numbers(self):
        for company in self:
            not_negative = {
                "clinic_portal_min_hours_new": company.clinic_portal_min_hours_new,
                "clinic_portal_min_hours_change": company.clinic_portal_min_hours_change,
                "clinic_portal_reminder_hours": company.clinic_portal_reminder_hours,
                "clinic_portal_makeup_sessions": company.clinic_portal_makeup_sessions,
                "clinic_portal_future_limit": company.clinic_portal_future_limit,
                "clinic_portal_search_start_days": company.clinic_portal_search_start_days,
                "clinic_portal_slot_step": company.clinic_portal_slot_step,
            }
            for field_name, value in not_negative.items():
                if value < 0:
                    raise ValidationError(self.env._(
                        "\"%(setting)s\" cannot be negative.",
                        setting=company._fields[field_name]._description_string(self.env)))
            if not 1 <= company.clinic_portal_search_range_days <= SEARCH_RANGE_MAX_DAYS:
                raise ValidationError(self.env._(
                    "\"%(setting)s\" must be between 1 and %(max)s days.",
                    setting=company._fields["clinic_portal_search_range_days"]
                    ._description_string(self.env),
                    max=SEARCH_RANGE_MAX_DAYS))

    @api.constrains("clinic_portal_hold_minutes")
    def _check_clinic_portal_hold_minutes(self):
        for company in self:
            if not 1 <= company.clinic_portal_hold_minutes <= const.HOLD_MAX_MINUTES:
                raise ValidationError(self.env._(
                    "\"%(setting)s\" must be between 1 and %(max)s minutes.",
                    setting=company._fields["clinic_portal_hold_minutes"]
                    ._description_string(self.env),
                    max=const.HOLD_MAX_MINUTES))

    @api.constrains("clinic_portal_service_types", "clinic_portal_plan_alias")
    def _check_clinic_portal_plan_alias(self):
        for company in self:
            if (company._clinic_portal_policy().books_plans
                    and not (company.clinic_portal_plan_alias or "").strip()):
                raise ValidationError(self.env._(
                    "Clients can book services from a treatment plan: enter the alias shown "
                    "to them for these services."))

    @api.constrains("clinic_portal_issuer_journal_id")
    def _check_clinic_portal_issuer(self):
        for company in self:
            journal = company.clinic_portal_issuer_journal_id
            if not journal:
                continue
            if journal.type != "sale":
                raise ValidationError(self.env._(
                    "The default issuer must be a sales journal; %(journal)s is not.",
                    journal=journal.display_name))
            if company not in journal.company_id.parent_ids:
                raise ValidationError(self.env._(
                    "The default issuer %(journal)s belongs to %(other)s, not to %(company)s "
                    "or one of its branches.",
                    journal=journal.display_name, other=journal.company_id.display_name,
                    company=company.display_name))

    @api.constrains("clinic_portal_new_client_company_id",
                    "clinic_portal_new_client_department_id")
    def _check_clinic_portal_new_client_place(self):
        for company in self:
            branch = company._clinic_portal_new_client_company()
            if company not in branch.parent_ids:
                raise ValidationError(self.env._(
                    "New clients of %(company)s can only be created in %(company)s or one of "
                    "its branches, not in %(branch)s.",
                    company=company.display_name, branch=branch.display_name))
            department = company.clinic_portal_new_client_department_id
            if department.company_id and department.company_id != branch:
                raise ValidationError(self.env._(
                    "The department %(department)s belongs to %(other)s, not to the branch for "
                    "new clients %(branch)s.",
                    department=department.display_name,
                    other=department.company_id.display_name, branch=branch.display_name))
