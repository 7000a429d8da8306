from markupsafe import Markup, escape

from odoo import api, fields, models

from .. import const, db
from ..services import family, registration_rules


class ResPartner(models.Model):
    _inherit = "res.partner"

    clinic_treating_user_ids = fields.Many2many(
        comodel_name="res.users",
        relation="clinic_partner_treating_user_rel",
        column1="partner_id",
        column2="user_id",
        string="Treating team",
        domain=[("share", "=", False)],
        help="Staff members who treat this client. With \"Only calendars of the treating "
             "team\", the client portal offers this client only their calendars.",
    )
    clinic_status_id = fields.Many2one(
        "clinic.client.status", string="Client status", index=True, ondelete="restrict",
        tracking=True,
    )
    clinic_department_id = fields.Many2one(
        "clinic.department", string="Department", ondelete="restrict",
        domain="[('company_id', 'in', [company_id, False])]",
    )
    clinic_health_fund_id = fields.Many2one(
        "clinic.health.fund", string="Health fund", ondelete="restrict")
    clinic_national_id = fields.Char(string="National ID number", index="btree_not_null")
    clinic_birthdate = fields.Date(string="Date of birth")
    clinic_gender = fields.Selection(
        selection=[("female", "Female"), ("male", "Male"), ("other", "Other")],
        string="Gender",
    )
    clinic_mobile2 = fields.Char(string="Second mobile phone")
    clinic_home_phone = fields.Char(string="Home phone")
    clinic_father_phone = fields.Char(string="Father's phone")
    clinic_mother_phone = fields.Char(string="Mother's phone")

    # Normalised forms that duplicates are matched by: exact, indexed lookups.
    clinic_national_id_key = fields.Char(
        string="National ID (compact)", compute="_compute_clinic_identity_keys", store=True,
        index="btree_not_null")
    clinic_phone_key = fields.Char(
        string="Phone (E.164)", compute="_compute_clinic_identity_keys", store=True,
        index="btree_not_null")
    clinic_phone_display = fields.Char(
        string="Phone, as matched", compute="_compute_clinic_phone_display",
        help="The phone number in its international form, as the clinic recognises the client "
             "by it. A number typed without a country prefix is read in the contact's own "
             "country (else its company's, its portal user's or its creator's), whoever typed "
             "it.")

    clinic_shown = fields.Boolean(
        string="Clinic details shown", compute="_compute_clinic_shown",
        help="Whether the contact's form shows the clinic's fields: the client portal is on "
             "for its company (else the current company), or the contact already has "
             "clinic data.")
    clinic_guardian_link_ids = fields.One2many(
        "clinic.family.link", "patient_id", string="Who acts for them",
        help="The clients who book, fill forms and pay for this client in the client portal.")
    clinic_dependant_link_ids = fields.One2many(
        "clinic.family.link", "guardian_id", string="Family members they act for",
        help="The family members this client books, fills forms and pays for in the client "
             "portal: their children, and adults who consented.")
    clinic_forms_summary = fields.Html(
        string="Completed forms", compute="_compute_clinic_forms_summary", sanitize=False,
        help="The client-portal forms this client completed, and when.")

    @api.depends("clinic_national_id", "phone", "country_id", "company_id.country_id",
                 "user_ids.company_id", "create_uid")
    def _compute_clinic_identity_keys(self):
        for partner in self:
            partner.clinic_national_id_key = (
                registration_rules.national_id_key(partner.clinic_national_id) or False)
            partner.clinic_phone_key = registration_rules.phone_key(
                partner.phone, partner._clinic_phone_region()) or False

    @api.depends("company_id", "clinic_status_id", "clinic_national_id")
    @api.depends_context("company")
    def _compute_clinic_shown(self):
        for partner in self:
            company = (partner.company_id or self.env.company).sudo()
            partner.clinic_shown = company.clinic_portal_enabled or bool(
                partner.clinic_status_id or partner.clinic_national_id)

    @api.depends("clinic_phone_key")
    def _compute_clinic_phone_display(self):
        for partner in self:
            partner.clinic_phone_display = registration_rules.phone_display(
                partner.clinic_phone_key)

    def _clinic_phone_region(self):
        """The country a phone number without a country prefix is read in: the contact's
        own, else its company's, its portal user's company's, or the company of whoever
        created it. A function of the record alone, never of the user saving it, so that a
        client has one key whoever typed their number."""
        partner = self.sudo()  # the users and companies behind a contact are not the editor's
        user = partner.user_ids[:1]
        country = (partner.country_id or partner.company_id.country_id
                   or user.company_id.country_id or partner.create_uid.company_id.country_id)
        return country.code

    def _clinic_invite_new_client(self):
        """The link to choose a password goes to the e-mail given, never back to the browser."""
        self.ensure_one()
        self.signup_prepare()
        if not self.email:
            self._clinic_note(self.env._(
                "Registered in the client portal without an e-mail address: invite them to "
                "the portal (Action > Grant portal access) or call them."))
            return
        url = self._get_signup_url_for_action(url="/my")[self.id]
        self.env.ref("clinic_portal.mail_template_registration_invite").sudo().with_context(
            signup_url=url).send_mail(self.id)

    def _clinic_tell_of_registration_attempt(self):
        """Someone registered with this client's details: the owner (or the clinic) is told."""
        self.ensure_one()
        if not self.email:
            self._clinic_note(self.env._(
                "Someone registered in the client portal with this client's phone number or "
                "national ID. Nothing was created, and the person was not told that this is a "
                "client."))
            return
        base = self.get_base_url()
        self.env.ref("clinic_portal.mail_template_registration_known").sudo().with_context(
            login_url=f"{base}/web/login", reset_url=f"{base}/web/reset_password",
        ).send_mail(self.id)

    def _clinic_text_direction(self):
        """'rtl' or 'ltr': the direction of this contact's language, for the mails we write
        them (Odoo's mail layouts are left to right whatever the language)."""
        lang = self[:1].lang or self.env.lang or "en_US"
        return self.env["res.lang"]._get_data(code=lang).direction or "ltr"

    def _clinic_lang_prefix(self):
        """This contact's language in the clinic website's URLs ('' for its default language),
        so that a mail's link opens the page in the mail's language."""
        lang = self[:1].lang
        websites = self.env["website"].sudo()
        website = websites.search([("company_id", "=", self.env.company.id)], limit=1) \
            or websites.search([], limit=1)
        if not website or lang == website.default_lang_id.code or \
                lang not in website.language_ids.mapped("code"):
            return ""
        return "/" + self.env["res.lang"]._get_data(code=lang).url_code

    def _clinic_note(self, body):
        """An internal note on the contact, for the staff who follow it."""
        self.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")

    # ------------------------------------------------------------------------------------
    # Family: who this client acts for, and who acts for them
    # ------------------------------------------------------------------------------------
    def _clinic_dependants(self):
        """The family members this client acts for today, by name, as superuser."""
        self.ensure_one()
        links = self.env["clinic.family.link"].sudo().search(
            [("guardian_id", "=", self.id), ("in_force", "=", True)])
        return links.patient_id.sorted(lambda partner: (partner.name or "", partner.id))

    def _clinic_family(self):
        """This client and the family members they act for today, as superuser: whose
        records they reach in the client portal."""
        self.ensure_one()
        return self.sudo() | self._clinic_dependants()

    def _clinic_guardian_links(self):
        """The links in force of the clients who act for this one, oldest first."""
        self.ensure_one()
        return self.env["clinic.family.link"].sudo().search(
            [("patient_id", "=", self.id), ("in_force", "=", True)], order="date_start, id")

    def _clinic_mail_recipient(self):
        """Who gets the clinic's mails about this patient: a child's parent (the one acting
        for them longest), an adult acted for without an e-mail address of their own the
        same; else the patient."""
        self.ensure_one()
        partner = self.sudo()
        today = fields.Date.context_today(self)
        if partner.email and not family.is_minor(partner.clinic_birthdate, today):
            return partner
        return partner._clinic_guardian_links()[:1].guardian_id or partner

    def _clinic_family_match_task(self, known, guardian):
        """Staff's task on this child, just added by ``guardian`` in the client portal with
        the national ID or mobile of the existing client ``known``: is it the same person?"""
        self.ensure_one()
        admins = self.env.ref("clinic_portal.group_clinic_admin").sudo().all_user_ids.filtered(
            lambda user: self.env.company in user.company_ids)
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=(admins[:1] or self.env.ref("base.user_admin")).id,
            summary=self.env._("Check a child added in the client portal"),
            note=Markup(self.env._(
                "%(guardian)s added %(child)s in the client portal with the national ID or "
                "mobile of the existing client %(known)s. Nothing of %(known)s was shown or "
                "linked. If they are the same person, merge %(child)s into %(known)s (the "
                "family link follows); else correct the details.")) % {
                    "guardian": guardian.name, "child": self.name,
                    "known": Markup('<a href="/odoo/contacts/%s">%s</a>') % (known.id,
                                                                            known.name)})

    def _clinic_completed_forms(self):
        """{survey: last completion datetime} of this contact's finished surveys."""
        self.ensure_one()
        groups = self.env["survey.user_input"].sudo()._read_group(
            [("partner_id", "=", self.id), ("state", "=", "done"), ("test_entry", "=", False)],
            ["survey_id"], ["end_datetime:max", "write_date:max"])
        return {survey: end or written for survey, end, written in groups}

    def _clinic_forms_due(self, product=None):
        """Surveys this client must complete now, in the company's order.

        The forms of the current company (in the portal, the website's: the same company
        whose booking rules apply). A form applies to its audience (all clients, new
        clients: no past appointment yet, or clients of chosen statuses) and is due when
        never completed or, yearly, not completed in the last 12 months. A service's own
        required form is due until completed once.
        """
        self.ensure_one()
        # As superuser: a client reads neither the settings, nor surveys, nor their answers.
        partner = self.sudo()
        forms = partner.env.company.clinic_mandatory_form_ids
        required = product.sudo().clinic_required_survey_id if product else None
        if not forms and not required:
            return partner.env["survey.survey"]
        done = partner._clinic_completed_forms()
        now = fields.Datetime.now()
        due = self.env["survey.survey"].sudo()
        for form in forms:
            if form.survey_id.active and form._applies_to(partner, now) \
                    and form._is_due(done.get(form.survey_id), now):
                due |= form.survey_id
        if required and required.active and not done.get(required):
            due |= required
        return due

    def _clinic_is_staff(self):
        """Whether this contact is an internal user's (a staff member)."""
        self.ensure_one()
        return any(not user.share for user in self.sudo().with_context(
            active_test=False).user_ids)

    def _clinic_is_client(self):
        """Whether this contact is a client of the clinic: a client status or a portal
        login."""
        self.ensure_one()
        partner = self.sudo()
        return bool(partner.clinic_status_id) or any(user.share for user in partner.user_ids)

    def _clinic_has_past_appointment(self, now):
        return bool(self.env["calendar.event"].sudo().search_count(
            [("partner_ids", "in", self.ids), ("stop", "<", now)], limit=1))

    @api.depends_context("lang")
    def _compute_clinic_forms_summary(self):
        for partner in self:
            if not partner.id:
                partner.clinic_forms_summary = False
                continue
            done = partner._clinic_completed_forms()
            rows = Markup("").join(
                Markup("<li>%s — %s</li>") % (
                    escape(survey.title),
                    fields.Datetime.context_timestamp(partner, when).strftime("%Y-%m-%d %H:%M"))
                for survey, when in sorted(done.items(), key=lambda item: item[1], reverse=True))
            partner.clinic_forms_summary = Markup("<ul>%s</ul>") % rows if rows else False

    def _clinic_form_flow(self, flow, survey):
        """Where the patient is in a round of forms due before booking (``flow``, kept in
        the session by the portal when it opens a form): ``{"number", "total", "next"}`` for
        ``survey``, the form shown, ``next`` the form due after it (or none), ``number``
        its rank among the round's forms; None when ``survey`` is not one of them."""
        self.ensure_one()
        if not flow or survey.id not in flow.get("forms", []):
            return None
        product = self.env["product.product"].sudo().browse(flow.get("product") or 0).exists()
        # The round may be a family member's: their forms, if this client acts for them.
        patient = self._clinic_family().filtered(
            lambda member: member.id == flow.get("patient")) or self
        due = patient._clinic_forms_due(product or None) - survey
        forms = flow["forms"]
        return {
            "number": forms.index(survey.id) + 1,
            "total": len(forms),
            "progress": self.env._("Form %(number)s of %(total)s to fill in before booking",
                                   number=forms.index(survey.id) + 1, total=len(forms)),
            "next": due[:1],
            "next_label": due and self.env._("Next form: %(title)s", title=due[0].title),
            "next_url": due and (f"{flow.get('prefix', '')}/my/forms/{due[0].id}?"
                                 f"{flow.get('query', '')}").rstrip("?"),
        }

    def _clinic_booking_blockers(self, product):
        """Why this client cannot book ``product`` in the client portal yet.

        Hook for registration and mandatory forms: each reason is a translated message the
        booking pages show, and booking is refused while any remains.

        :param product: the service (``product.product``) being booked
        :returns: list of translated messages; empty: nothing blocks the booking
        """
        self.ensure_one()
        blockers = []
        due = self._clinic_forms_due(product)
        if due:
            blockers.append(self.env._(
                "Please fill in these forms before booking: %(forms)s",
                forms=", ".join(due.mapped("title"))))
        return blockers

    # ------------------------------------------------------------------------------------
    # The client's balance with the clinic
    # ------------------------------------------------------------------------------------
    def _clinic_credit_lines(self, account, company, currency, fresh=False):
        """The client's open credit on the receivable ``account`` of ``company`` in
        ``currency``: unreconciled credit lines of posted entries of their commercial partner
        (a payment kept as balance, a credit note), oldest first, as superuser.

        :param fresh: leave out the lines that a new snapshot sees reconciled or with another
            amount: under the booking lock, the credit a parallel booking used meanwhile is gone
        """
        self.ensure_one()
        lines = self.env["account.move.line"].sudo().search([
            ("account_id", "=", account.id),
            ("partner_id", "=", self.commercial_partner_id.id),
            ("company_id", "=", company.id),
            ("currency_id", "=", currency.id),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("balance", "<", 0.0),
            ("amount_residual_currency", "<", 0.0),
        ], order="date, id")
        if not fresh or not lines:
            return lines
        committed = dict(db.fresh_rows(self.env, """
            SELECT id, CASE WHEN reconciled THEN 0 ELSE amount_residual_currency END
              FROM account_move_line WHERE id IN %s
        """, (tuple(lines.ids),)))
        # A line this transaction made is not committed yet: it is this transaction's to use.
        return lines.filtered(lambda line: line.id not in committed or currency.compare_amounts(
            committed[line.id], line.amount_residual_currency) == 0)

    def _clinic_balance_pays(self, product, offer, policy):
        """Whether booking ``product`` at its portal ``offer`` would be paid from this client's
        balance: the clinic allows it and the balance covers the price with its taxes. What
        the pages say before booking; the booking decides on the invoice itself."""
        self.ensure_one()
        if not policy.skip_payment_with_balance or offer["payment"] != const.PAYMENT_PREPAYMENT:
            return False
        journal = policy.company._clinic_portal_issuer(product)
        if not journal:
            return False
        company, partner = journal.company_id, self.sudo().commercial_partner_id
        currency = self.env["res.currency"].browse(offer["currency_id"])
        fiscal_position = self.env["account.fiscal.position"].sudo().with_company(
            company)._get_fiscal_position(partner)
        taxes = fiscal_position.map_tax(
            product.sudo().taxes_id._filter_taxes_by_company(company))
        total = taxes.compute_all(offer["price"], currency, 1.0, product, partner)[
            "total_included"]
        account = partner.with_company(company).property_account_receivable_id
        credit = self._clinic_credit_lines(account, company, currency)
        return currency.compare_amounts(-sum(credit.mapped("amount_residual_currency")),
                                        total) >= 0
