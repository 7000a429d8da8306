import ipaddress
from datetime import timedelta
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..services import his_client

MANAGER_GROUP = "crm_isc_sync.group_isc_sync_manager"
# Clocks of the Odoo workers may differ a little; beyond this, a time is in the future.
CLOCK_SLACK = timedelta(minutes=5)


def is_loopback(hostname):
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


class ResCompany(models.Model):
    _inherit = "res.company"

    isc_his_base_url = fields.Char(
        string="HIS base URL",
        groups=MANAGER_GROUP,
        help="Address of the hospital information system's API, e.g. https://his.example/api/v1",
    )
    isc_his_api_key = fields.Char(
        string="HIS API key",
        groups=MANAGER_GROUP,
        copy=False,
        help="Sent in the X-Api-Key header. Only Isc sync managers can see or change it.",
    )
    isc_his_connect_timeout = fields.Float(
        groups=MANAGER_GROUP,
        string="HIS connect timeout (s)", default=5.0,
        help="Seconds to wait for the HIS to accept a connection.",
    )
    isc_his_read_timeout = fields.Float(
        groups=MANAGER_GROUP,
        string="HIS read timeout (s)", default=30.0,
        help="Seconds to wait for each answer of the HIS.",
    )
    isc_his_page_size = fields.Integer(
        groups=MANAGER_GROUP,
        string="HIS page size", default=1000,
        help="Isc accounts asked from the HIS per request (at most 5000).",
    )
    isc_sync_max_range_days = fields.Integer(
        string="Longest manual sync range (days)", default=366,
        help="The longest date range a user may sync at once from the contact list.",
    )
    isc_sync_watermark = fields.Datetime(
        string="Isc accounts synced up to", copy=False, readonly=True,
        help="End of the last range the daily sync fully completed; the next run starts "
             "there, less a small overlap.",
    )

    @api.constrains("isc_his_connect_timeout", "isc_his_read_timeout", "isc_his_page_size",
                    "isc_sync_max_range_days")
    def _check_isc_his_settings(self):
        for company in self:
            if company.isc_his_connect_timeout <= 0 or company.isc_his_read_timeout <= 0:
                raise ValidationError(self.env._("HIS timeouts must be greater than zero."))
            if not 1 <= company.isc_his_page_size <= 5000:
                raise ValidationError(self.env._("The HIS page size must be between 1 and 5000."))
            if company.isc_sync_max_range_days < 1:
                raise ValidationError(
                    self.env._("The longest manual sync range must be at least one day."))

    @api.constrains("isc_his_base_url")
    def _check_isc_his_base_url(self):
        for company in self.sudo().filtered("isc_his_base_url"):
            url = urlsplit(company.isc_his_base_url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise ValidationError(
                    self.env._("The HIS base URL must start with http:// or https://."))
            if url.scheme == "http" and not is_loopback(url.hostname):
                raise ValidationError(self.env._(
                    "The HIS base URL must use https://: the API key must not travel in clear. "
                    "http:// is accepted only for a HIS on this machine (localhost)."))

    @api.constrains("isc_sync_watermark")
    def _check_isc_sync_watermark(self):
        latest = fields.Datetime.now() + CLOCK_SLACK
        for company in self.filtered("isc_sync_watermark"):
            if company.isc_sync_watermark > latest:
                raise ValidationError(self.env._(
                    "The Isc accounts cannot be synced up to %(date)s, a time in the future: "
                    "the daily sync would skip everything until then.",
                    date=company.isc_sync_watermark))

    def _isc_his_configured(self):
        self.ensure_one()
        company = self.sudo()
        return bool(company.isc_his_base_url and company.isc_his_api_key)

    def _isc_his_client(self):
        """A client for this company's HIS; the key is read with superuser rights."""
        self.ensure_one()
        company = self.sudo()
        if not self._isc_his_configured():
            raise ValidationError(self._isc_failure_text("not_configured", {}))
        return his_client.HisClient(
            company.isc_his_base_url,
            company.isc_his_api_key,
            connect_timeout=company.isc_his_connect_timeout,
            read_timeout=company.isc_his_read_timeout,
        )

    def _isc_his_error_message(self, error):
        """A sentence for a HIS failure, in the language of the current user."""
        return self._isc_failure_text(getattr(error, "kind", "error"),
                                      error.params() if hasattr(error, "params") else {})

    def _isc_failure_text(self, kind, params):
        """The sentence for a failure stored as ``kind`` and ``params``, translated on read."""
        env, params = self.env, params or {}
        reason = params.get("reason") or ""
        texts = {
            "unreachable": lambda: env._(
                "Could not reach the HIS: no answer in time, or the connection failed."),
            "server_error": lambda: env._(
                "The HIS answered with an error (HTTP %(status)s).", status=params.get("status")),
            "auth": lambda: env._("The HIS refused the API key (check it in Settings)."),
            "bad_response": lambda: env._("The HIS sent an answer that could not be read."),
            "rejected": lambda: env._("The HIS refused the request: %(message)s",
                                      message=params.get("message") or reason),
            "not_found": lambda: env._("The HIS refused the request: %(message)s",
                                       message=params.get("message") or reason),
            "record": lambda: env._("Malformed account from the HIS: %(reason)s", reason=reason),
            "not_configured": lambda: env._(
                "The HIS connection of %(company)s is not configured: set its base URL and "
                "API key in Settings > Isc accounts.", company=self.name),
            "unexpected": lambda: env._(
                "The sync stopped on an unexpected error; the server log has the details."),
            "legacy": lambda: params.get("text") or "",
        }
        text = texts.get(kind)
        return text() if text else env._("HIS error: %(reason)s", reason=reason)
