import hashlib
from datetime import timedelta

from odoo import api, fields, models

from ..const import REGISTRATION_ATTEMPTS_PER_HOUR


def identity_hash(key):
    """What is kept of an identity: a hash, never the number or the address itself."""
    return hashlib.sha256(key.encode()).hexdigest() if key else False


class ClinicRegistrationAttempt(models.Model):
    """One registration submitted from the portal, kept an hour to throttle abuse."""

    _name = "clinic.registration.attempt"
    _description = "Client portal registration attempt"
    _log_access = False

    created_at = fields.Datetime(string="Submitted on", required=True, index=True,
                                 default=fields.Datetime.now)
    client_address = fields.Char(string="Client address", index=True)
    phone_hash = fields.Char(string="Mobile (hash)", index=True)
    national_id_hash = fields.Char(string="National ID (hash)", index=True)
    email_hash = fields.Char(string="E-mail (hash)", index=True)

    @api.autovacuum
    def _gc_past_hour(self):
        self.search([("created_at", "<", fields.Datetime.now() - timedelta(hours=1))]).unlink()

    @api.model
    def _throttled(self, client_address, phone, national_id, email):
        """Record an attempt unless one of its keys had its hour's share; True if throttled."""
        self._gc_past_hour()
        keys = {"phone_hash": identity_hash(phone),
                "national_id_hash": identity_hash(national_id),
                "email_hash": identity_hash(email)}
        clauses = [[(name, "=", value)] for name, value in keys.items() if value]
        if client_address:
            clauses.append([("client_address", "=", client_address)])
        for clause in clauses:
            limit = REGISTRATION_ATTEMPTS_PER_HOUR
            if self.search_count(clause, limit=limit) >= limit:
                return True
        self.create({"client_address": client_address, **keys})
        return False
