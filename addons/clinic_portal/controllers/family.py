from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import UserError
from odoo.http import request

from .. import const
from ..const import REGISTRATION_FIELDS
from ..services import family
from .portal import ClinicPortal, page_reads
from .registration import error_messages

FAMILY_MESSAGES = (const.MESSAGE_CHILD_ADDED, const.MESSAGE_ACCESS_ENDED,
                   const.MESSAGE_ACCESS_KEPT)


class ClinicFamilyPortal(ClinicPortal):
    """The client's family: the family members they act for (each a client of their own),
    adding a child, and who acts for the client, which they may keep as an adult or end.

    A link that gives someone access to the client is one of the client's documents, reached
    through the portal's gate; the family members a client acts for are read by
    ``res.partner._clinic_dependants``. What they may book, and every rule, is the patient's
    (the booking pages' ``patient`` parameter).
    """

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "clinic_family_count" in counters:
            values["clinic_family_count"] = len(
                request.env.user.partner_id._clinic_dependants()) \
                if self._clinic_policy().enabled else 0
        return values

    def _family_values(self, **values):
        me = request.env.user.partner_id
        today = fields.Date.context_today(me)
        links_to_me = self._documents_search(
            "clinic.family.link", [("patient_id", "=", me.id)], order="date_start, id").filtered(
                lambda link: link.in_force or family.may_confirm(
                    link.kind, link.end_reason, me.sudo().clinic_birthdate, today))
        return self._clinic_values(
            page_name="clinic_family",
            dependants=me._clinic_dependants(),
            links_to_me=links_to_me,
            may_keep=lambda link: family.may_confirm(
                link.kind, link.end_reason, me.sudo().clinic_birthdate, today),
            may_end=lambda link: link.in_force
            and not family.is_minor(me.sudo().clinic_birthdate, today),
            forms_due_of=lambda member: member._clinic_forms_due(),
            **values)

    # ------------------------------------------------------------------------------------
    # Routes
    # ------------------------------------------------------------------------------------
    @http.route("/my/family", type="http", auth="user", website=True, methods=["GET"],
                readonly=page_reads)
    def clinic_family(self, message=None, patient=None, **kw):
        if not self._clinic_policy().enabled:
            raise NotFound()
        added = self._clinic_patient(patient) if message == const.MESSAGE_CHILD_ADDED \
            and patient else None
        return request.render("clinic_portal.portal_my_family", self._family_values(
            message=message if message in FAMILY_MESSAGES else None, added=added))

    @http.route("/my/family/add", type="http", auth="user", website=True,
                methods=["GET", "POST"])
    def clinic_family_add(self, **post):
        """Add a child: the clinic's registration fields for them, the date of birth always.
        Whatever the details match, the page that follows is the same (see
        ``clinic.registration._add_child``)."""
        policy = self._clinic_policy()
        if not policy.enabled:
            raise NotFound()
        if request.httprequest.method != "POST":
            return self._family_add_page({}, {})
        values = {name: post.get(name, "") if isinstance(post.get(name), str) else ""
                  for name in ("first_name", "last_name", "mobile", *REGISTRATION_FIELDS)}
        try:
            errors, child = request.env["clinic.registration"].sudo()._add_child(
                request.env.user.partner_id, values, policy.company)
        except UserError as exc:
            return self._family_add_page(values, {}, error=exc.args[0])
        if errors:
            return self._family_add_page(values, errors)
        return request.redirect(
            f"/my/family?message={const.MESSAGE_CHILD_ADDED}&patient={child.id}", code=303)

    def _family_add_page(self, values, errors, error=None):
        registration = request.env["clinic.registration"].sudo()
        shown, required = registration._child_form_fields(self._clinic_policy().company)
        labels = dict(request.env["clinic.registration.field"]._fields["field_name"]
                      ._description_selection(request.env))
        messages = error_messages(request.env)
        return request.render("clinic_portal.portal_family_add", self._family_values(
            values=values, error=error,
            errors={name: messages.get(code, code) for name, code in errors.items()},
            optional_fields=[name for name in REGISTRATION_FIELDS
                             if name in shown and name not in ("birthdate", "email")],
            required_fields=required, labels=labels,
            genders=request.env["res.partner"]._fields["clinic_gender"]
            ._description_selection(request.env),
            health_funds=request.env["clinic.health.fund"].sudo().search([])))

    @http.route("/my/family/<int:link_id>/end", type="http", auth="user", website=True,
                methods=["POST"])
    def clinic_family_end(self, link_id, **kw):
        """The client ends the access of someone who acts for them (an adult only: a
        child's parents keep theirs until the child comes of age)."""
        link = self._link_to_me_or_404(link_id)
        values = self._family_values()
        if not values["may_end"](link):
            return request.render("clinic_portal.portal_my_family", self._family_values(
                error=request.env._("Only an adult can end this access. Please contact the "
                                    "clinic.")))
        link._end(const.FAMILY_END_PATIENT)
        return request.redirect(f"/my/family?message={const.MESSAGE_ACCESS_ENDED}", code=303)

    @http.route("/my/family/<int:link_id>/keep", type="http", auth="user", website=True,
                methods=["POST"])
    def clinic_family_keep(self, link_id, **kw):
        """The client, an adult now (or about to be), lets their parent go on acting for
        them."""
        link = self._link_to_me_or_404(link_id)
        try:
            link._confirm_by_adult()
        except UserError as exc:
            return request.render("clinic_portal.portal_my_family", self._family_values(
                error=exc.args[0]))
        return request.redirect(f"/my/family?message={const.MESSAGE_ACCESS_KEPT}", code=303)

    def _link_to_me_or_404(self, link_id):
        """The link ``link_id`` that gives someone access to the user, as superuser."""
        link = self._document_or_404("clinic.family.link", link_id)
        if link.patient_id != request.env.user.partner_id:
            raise NotFound()
        return link
