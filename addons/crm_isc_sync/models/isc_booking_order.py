from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services import his_client


class IscBookingOrder(models.Model):
    """A health-check booking order sent to the HIS, which gives the person a patient code."""

    _name = "isc.booking.order"
    _description = "Booking order"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False,
                       default=lambda self: self.env._("New"))
    partner_id = fields.Many2one("res.partner", string="Contact", required=True, tracking=True,
                                 check_company=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True,
                                 default=lambda self: self.env.company)
    mobile = fields.Char(compute="_compute_from_partner", store=True, readonly=False)
    national_id = fields.Char(string="National ID")
    birth_date = fields.Date()
    gender = fields.Selection([("male", "Male"), ("female", "Female"), ("other", "Other")])
    requested_date = fields.Date(required=True, tracking=True,
                                 default=fields.Date.context_today)
    service = fields.Char(tracking=True, help="The examination or health-check package asked for.")
    notes = fields.Text()
    state = fields.Selection(
        [("draft", "Draft"), ("sent", "Sent"), ("confirmed", "Confirmed"), ("failed", "Failed")],
        default="draft", required=True, readonly=True, tracking=True, copy=False,
        help="Sent: the HIS did not answer in time; sending again is safe, the HIS recognises "
             "the order by its reference.")
    his_order_number = fields.Char(string="HIS order number", readonly=True, copy=False)
    patient_code = fields.Char(readonly=True, copy=False,
                               help="The patient code the HIS answered with.")
    failure_reason = fields.Text(readonly=True, copy=False)

    @api.depends("partner_id")
    def _compute_from_partner(self):
        for order in self:
            order.mobile = order.partner_id.phone

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", self.env._("New")) == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("isc.booking.order")
        return super().create(vals_list)

    def _his_payload(self):
        partner = self.partner_id
        return {
            "reference": f"{self.env.cr.dbname}:{self.name}",
            "name": partner.name,
            "mobile": self.mobile or None,
            "birth_date": fields.Date.to_string(self.birth_date) if self.birth_date else None,
            "gender": self.gender or None,
            "national_id": self.national_id or None,
            "requested_date": fields.Date.to_string(self.requested_date),
            "service": self.service or None,
        }

    def action_send_to_his(self):
        """Send each order to the HIS and store the patient code it answers on the contact.

        What came back is logged on the order and on the contact; a single order also tells
        the user at once.
        """
        for order in self:
            if order.state == "confirmed":
                raise UserError(self.env._("%(order)s is already confirmed by the HIS.",
                                           order=order.name))
            if not order.partner_id.name:
                raise UserError(self.env._("The contact of %(order)s needs a name.",
                                           order=order.name))
            order._send_one()
            order._log_outcome()
        if len(self) == 1:
            return self._outcome_notification()
        return True

    def _outcome_message(self, order_ref):
        """What the last sending gave, naming the order as ``order_ref`` (text or link)."""
        env = self.env
        if self.state == "confirmed":
            return env._("Patient code %(code)s from the HIS (booking order %(order)s).",
                         code=self.patient_code, order=order_ref)
        if self.state == "sent":
            return env._("Booking order %(order)s was sent but the HIS did not answer: "
                         "%(reason)s Sending it again is safe.",
                         order=order_ref, reason=self.failure_reason)
        return env._("The HIS did not confirm booking order %(order)s: %(reason)s",
                     order=order_ref, reason=self.failure_reason)

    def _log_outcome(self):
        """A chatter line on the order and on its contact, linking to the order."""
        body = self._outcome_message(self._get_html_link())
        self.message_post(body=body)
        self.partner_id.sudo().message_post(body=body)

    def _outcome_notification(self):
        if self.state == "confirmed":
            kind, title = "success", self.env._("Booking order confirmed by the HIS")
        elif self.state == "sent":
            kind, title = "warning", self.env._("No answer from the HIS")
        else:
            kind, title = "danger", self.env._("The HIS did not confirm the order")
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": kind, "title": title, "message": self._outcome_message(self.name),
            "sticky": kind != "success",
            "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}

    def _send_one(self):
        self.ensure_one()
        company = self.company_id
        try:
            with company._isc_his_client() as client:
                answer = client.create_booking_order(self._his_payload())
        except (his_client.HisConnectionError, his_client.HisBadResponse) as error:
            # The HIS may have the order: it stays "sent" and can be sent again safely.
            self.write({"state": "sent", "failure_reason": company._isc_his_error_message(error)})
            return
        except his_client.HisError as error:
            self.write({"state": "failed",
                        "failure_reason": company._isc_his_error_message(error)})
            return
        code = answer["patient_code"]
        partner = self.partner_id
        if partner.isc_patient_code and partner.isc_patient_code != code:
            self.write({"state": "failed", "his_order_number": answer["order_number"],
                        "patient_code": code, "failure_reason": self.env._(
                            "The HIS answered with patient code %(new)s but %(contact)s already "
                            "has the patient code %(code)s. Check the contact's identity with "
                            "the HIS.", new=code, contact=partner.display_name,
                            code=partner.isc_patient_code)})
            return
        holder = self.env["res.partner"].sudo().search([
            ("isc_patient_code", "=", code), ("id", "!=", partner.id),
            ("company_id", "in", [partner.company_id.id, False])], limit=1)
        if holder:
            self.write({"state": "failed", "his_order_number": answer["order_number"],
                        "patient_code": code, "failure_reason": self.env._(
                            "The HIS answered with patient code %(code)s, which already belongs "
                            "to %(holder)s. Merge the two contacts or check with the HIS.",
                            code=code, holder=holder.display_name)})
            return
        self.write({"state": "confirmed", "his_order_number": answer["order_number"],
                    "patient_code": code, "failure_reason": False})
        if not partner.isc_patient_code:
            partner.sudo().isc_patient_code = code

    def action_reset_to_draft(self):
        self.filtered(lambda o: o.state == "failed").write({"state": "draft"})
