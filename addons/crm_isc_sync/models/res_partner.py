from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .res_company import MANAGER_GROUP

USER_GROUP = "crm_isc_sync.group_isc_sync_user"
# What the HIS owns on a contact: written by the sync engine and booking orders (as superuser)
# and by Isc sync managers, never by whoever may edit contacts.
HIS_FIELDS = frozenset({"isc_patient_code", "isc_account_login", "isc_account_status",
                        "isc_account_issued_on", "isc_account_his_updated_at",
                        "isc_account_synced_on", "isc_account_checked_on"})

# The one-contact sync asks the HIS once per contact: larger selections belong to the range sync.
MAX_CONTACTS_AT_ONCE = 200
ISC_STATUSES = [("active", "Active"), ("locked", "Locked"), ("revoked", "Revoked")]


class ResPartner(models.Model):
    _inherit = "res.partner"

    isc_patient_code = fields.Char(
        string="Patient code", copy=False, readonly=True, index="btree_not_null",
        help="Code the HIS gave this person, through a booking order.",
    )
    isc_account_login = fields.Char(string="Isc account", copy=False, readonly=True)
    isc_account_status = fields.Selection(
        ISC_STATUSES, string="Isc account status", copy=False, readonly=True)
    isc_account_issued_on = fields.Datetime(string="Isc account issued on", copy=False,
                                            readonly=True)
    isc_account_his_updated_at = fields.Datetime(
        string="Isc account changed in HIS", copy=False, readonly=True)
    isc_account_synced_on = fields.Datetime(string="Isc account last synced on", copy=False,
                                            readonly=True)
    isc_account_checked_on = fields.Datetime(
        string="Isc account last checked on", copy=False, readonly=True,
        help="When a one-contact sync last asked the HIS for this contact's account, whether "
             "it found one or not.")
    isc_booking_order_ids = fields.One2many("isc.booking.order", "partner_id",
                                            string="Booking orders")
    isc_booking_order_count = fields.Integer(compute="_compute_isc_booking_order_count",
                                             string="Booking order count")
    isc_shown = fields.Boolean(
        string="Isc account shown", compute="_compute_isc_shown",
        help="Whether the contact's form shows the Isc account: its company's (else the "
             "current company's) HIS is configured, or the contact already has Isc data.")

    _isc_patient_code_company_uniq = models.UniqueIndex(
        "(COALESCE(company_id, 0), isc_patient_code) WHERE isc_patient_code IS NOT NULL",
        "This patient code already belongs to another contact of the same company.",
    )

    @api.depends("isc_booking_order_ids")
    def _compute_isc_booking_order_count(self):
        counts = dict(self.env["isc.booking.order"]._read_group(
            [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]))
        for partner in self:
            partner.isc_booking_order_count = counts.get(partner, 0)

    @api.depends("company_id", "isc_patient_code", "isc_account_login")
    @api.depends_context("company")
    def _compute_isc_shown(self):
        configured = {}
        for partner in self:
            company = partner.company_id or self.env.company
            if company not in configured:
                configured[company] = company._isc_his_configured()
            partner.isc_shown = configured[company] or bool(
                partner.isc_patient_code or partner.isc_account_login)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._isc_check_his_fields(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._isc_check_his_fields(vals)
        if vals.get("isc_patient_code"):
            new_code = vals["isc_patient_code"]
            for partner in self:
                if partner.isc_patient_code and partner.isc_patient_code != new_code:
                    raise UserError(self.env._(
                        "%(contact)s already has the patient code %(code)s; the HIS's code "
                        "%(new)s cannot replace it. Check the contact's identity with the HIS.",
                        contact=partner.display_name, code=partner.isc_patient_code,
                        new=new_code))
        return super().write(vals)

    def _isc_check_his_fields(self, vals):
        if HIS_FIELDS.isdisjoint(vals) or self.env.su or self.env.user.has_group(MANAGER_GROUP):
            return
        raise AccessError(self.env._(
            "The patient code and the Isc account come from the HIS: only the Isc sync, "
            "booking orders and Isc sync managers change them."))

    # --- The one-contact sync ------------------------------------------------------------
    def action_isc_sync_account(self):
        """Fetch the Isc account of each selected contact from the HIS (form button, action)."""
        if not self.env.user.has_group(USER_GROUP):
            raise AccessError(self.env._("Only Isc sync users can sync Isc accounts."))
        missing = self.filtered(lambda p: not p.isc_patient_code)
        if missing and len(self) == 1:
            raise UserError(self.env._(
                "%(contact)s has no patient code yet: create a booking order and send it to the "
                "HIS first.", contact=self.display_name))
        if len(self) > MAX_CONTACTS_AT_ONCE:
            raise UserError(self.env._(
                "Select at most %(max)s contacts, or sync a date range from the contact list.",
                max=MAX_CONTACTS_AT_ONCE))
        runs = self.env["isc.sync.run"].sudo()._run_for_partners(self - missing, skipped=missing)
        failed = runs.filtered(lambda r: r.state == "failed")
        return (failed or runs)[:1]._notification_action(single=len(self) == 1)

    def action_view_isc_booking_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_isc_sync.isc_booking_order_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

