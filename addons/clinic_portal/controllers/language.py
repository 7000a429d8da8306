from odoo import http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.website.controllers.main import Website


def lang_url(lang_code, path):
    """``path`` in the website language ``lang_code``: Odoo's routing sets the language
    cookie from the URL, so every later page follows."""
    url_code = request.env["res.lang"]._get_data(code=lang_code).url_code
    return f"/{url_code}{path}" if url_code else path


class ClinicLanguageWebsite(Website):
    def _login_redirect(self, uid, redirect=None):
        """A client who logs in sees the site in their own language, not the last visitor's."""
        url = super()._login_redirect(uid, redirect=redirect)
        # The request may still be the public user's, who reads no user.
        user = request.env["res.users"].sudo().browse(uid)
        website_langs = request.website.language_ids.mapped("code")
        if (user._is_internal() or user.lang not in website_langs or not url.startswith("/")
                or url.startswith(("//", "/web", "/odoo"))):
            return url
        return lang_url(user.lang, url)


class ClinicLanguagePortal(CustomerPortal):
    def _prepare_my_account_rendering_values(self, *args, **kwargs):
        values = super()._prepare_my_account_rendering_values(*args, **kwargs)
        values["clinic_languages"] = request.website.language_ids
        values["clinic_lang_error"] = bool(kwargs.get("lang_error"))
        return values

    @http.route("/my/account/language", type="http", auth="user", website=True,
                methods=["POST"])
    def clinic_account_language(self, lang=None, **kw):
        """The client's language: the portal, the e-mails and the reminders follow it."""
        if lang not in request.website.language_ids.mapped("code"):
            return request.redirect("/my/account?lang_error=1")
        # A user may write their own language (res.users SELF_WRITEABLE_FIELDS).
        request.env.user.lang = lang
        return request.redirect(lang_url(lang, "/my/account"))
