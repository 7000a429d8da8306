"""Every route of our addons, fuzzed: no input reaches a server error.

The routes are read from Odoo's routing map, so a new route is fuzzed without anyone listing
it. Hypothesis generates values for each of its parameters (its path arguments, the arguments
its functions take and the request values they read) as an anonymous visitor, a portal
patient and a member of staff: numerals of every script, fullwidth digits and superscripts,
control characters and NUL, bidi and zero-width marks, combining characters, emoji, strings
of 10⁵ characters (in bodies; in URLs up to what a proxy lets through), negative, zero and huge
numbers, ids of other patients' records, malformed and far dates and times, repeated and
missing parameters; JSON-RPC routes get typed values. Every parameter of every route is first
tried with a superscript and an Arabic-Indic digit.

Properties: never an HTTP 5xx (nor a JSON-RPC error that is not a user-facing one), never an
error or traceback in the server's log, and a refused request changes nothing in the database.

The seed is fixed and the examples bounded (``CLINIC_FUZZ_EXAMPLES`` per route and session,
5 in ``make test``; ``make fuzz`` runs many more).
"""

import inspect
import json
import logging
import os
import re
import unicodedata
from collections import Counter
from datetime import date, datetime
from types import SimpleNamespace
from urllib.parse import quote

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import example as example_of
from hypothesis import strategies as st
from werkzeug.routing.converters import NumberConverter

from odoo import http
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL

from ..const import REGISTRATION_FIELDS, START_FORMAT
from .booking_common import BookingSetup

_logger = logging.getLogger(__name__)

OUR_MODULES = ("crm_isc_sync", "clinic_pricelist_portal", "clinic_portal", "payment_easycard")
EXAMPLES = int(os.environ.get("CLINIC_FUZZ_EXAMPLES") or 5)
# Only the routes whose URL this expression finds (a developer's focus; all by default).
ONLY = re.compile(os.environ.get("CLINIC_FUZZ_ROUTES") or "")
# The request values a route reads from its keyword arguments: kw.get("provider_id") …
READS = re.compile(r"\b(?:kw|kwargs|post|params)\.get\(\s*[\"'](\w+)[\"']")
# Values read in a loop over field names rather than one by one: the registration form's.
FORM_FIELDS = {"/clinic/register": ("first_name", "last_name", "mobile", *REGISTRATION_FIELDS),
               "/my/family/add": ("first_name", "last_name", "mobile", *REGISTRATION_FIELDS)}
# Helpers that read request values for the routes which call them: what the booking pages
# book (service, plan_line) and for whom (patient).
PARAM_HELPERS = ("_clinic_choice_params", "_clinic_patient_params")
# Names a route that takes ``**kw`` does not read, sent all the same.
STRAY_NAMES = ("id", "page", "redirect", "debug", "lang")
# Business records a refused request must leave as they were (besides our own models').
WATCHED_TABLES = ("res_partner", "res_users", "calendar_event", "calendar_attendee",
                  "payment_transaction", "payment_token", "account_move", "survey_user_input",
                  "mail_message", "mail_mail", "product_template", "res_company")
# How a page says it refused what was sent.
REFUSAL_MARKS = ("o_clinic_error", "is-invalid", "o_clinic_makeup_refusal")
# JSON-RPC errors that answer the request rather than break it.
USER_FACING_ERRORS = ("odoo.exceptions.", "werkzeug.exceptions.",
                      "odoo.http.SessionExpiredException")
# Models whose first ids are offered to the fuzzer: the patient's, other patients', staff's.
ID_MODELS = ("calendar.event", "product.product", "res.users", "res.partner", "survey.survey",
             "payment.provider", "payment.method", "payment.token", "clinic.course.enrollment",
             "clinic.course.seat", "clinic.treatment.plan.line", "clinic.health.fund",
             "account.move", "clinic.family.link")

# Every character Unicode gives a numeric value, but the ASCII digits: ²,٣,۴,१,௰,Ⅻ,½,𝟘 …
NUMERALS = "".join(c for c in map(chr, range(0x80, 0x20000)) if unicodedata.numeric(c, None)
                   is not None)
# Digits of other scripts and kinds: "٣" (int() takes it), "²" and "①" (isdigit(), not int()).
DIGITS = "".join(c for c in map(chr, range(0x80, 0x20000)) if unicodedata.digit(c, None)
                 is not None)
# Tried on every parameter of every route before the generated values.
EXPLICIT = ("\u00b2", "\u0663")
FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
MARKS = ("\x00\x01\x07\x08\x1b\x7f\t\n\r \u00a0\u0301\u0307\u0591\u200b\u200c\u200d\u200e"
         "\u200f\u202a\u202e\u2066\u2069\ufeff\ufffd")
EMOJI = ("\U0001f600", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f3f3\ufe0f\u200d"
         "\U0001f308", "\u2764\ufe0f")
HUGE = ("x" * 100_000, "\u0663" * 100_000, "\u202e" * 100_000, "9" * 100_000)
# A URL's request line past 64 KiB never reaches Odoo (its server and any proxy answer 414):
# in a query string, long values stop at what a proxy lets through.
LONG_IN_URL = ("x" * 8000, "\u0663" * 1300, "9" * 8000)


def _strategies(id_pool, huge=HUGE):
    ids = st.sampled_from(id_pool).map(str)
    numbers = st.one_of(
        st.integers(-(10**30), 10**30).map(str),
        st.sampled_from(["0", "-0", "-1", "00", "2147483647", "2147483648", "9" * 40, "1e9",
                         "0x1f", "NaN", "inf", "+1", " 1", "1 ", "1.5", "1_000"]))
    numerals = st.one_of(
        st.text(alphabet=st.sampled_from(DIGITS), min_size=1, max_size=6),
        st.text(alphabet=st.sampled_from(NUMERALS + "0123456789"), min_size=1, max_size=12),
        st.integers(0, 10**9).map(lambda n: str(n).translate(FULLWIDTH)))
    days = st.one_of(
        st.dates(date(1, 1, 1), date(9999, 12, 31)).map(date.isoformat),
        st.sampled_from(["2026-02-30", "2026-13-01", "0000-00-00", "2026-3-2", "20260302",
                         "2026-03-02T08:00", "２０２６-03-02"]))
    starts = st.one_of(
        st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31)).map(
            lambda moment: moment.strftime(START_FORMAT)),
        st.sampled_from(["20260302T0860Z", "99991231T2359Z", "00010101T0000Z",
                         "20260302T0800", "2026-03-02T08:00:00Z"]))
    texts = st.one_of(
        st.text(max_size=40),
        st.text(alphabet=st.sampled_from(MARKS + "aא٣"), max_size=20),
        st.lists(st.sampled_from(EMOJI), min_size=1, max_size=4).map("".join),
        st.sampled_from(huge),
        st.sampled_from(["", "any", "true", "false", "null", "[]", "{}", "%", "%00", "../..",
                         "' OR 1=1 --", "<script>x</script>"]))
    value = st.one_of(ids, ids, numbers, numerals, numerals, days, starts, texts)
    path_ids = st.one_of(ids, ids, st.integers(0, 10**20).map(str), numerals)
    json_value = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                  st.sampled_from(id_pool), st.floats(allow_nan=False), value),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
            st.text(max_size=6), inner, max_size=3),
        max_leaves=6)
    return SimpleNamespace(value=value, path_id=path_ids, path_text=texts, json=json_value)


def _url_strategies(id_pool):
    """Values for a path or a query string: as ``_strategies``, long values within a URL's
    bounds."""
    return _strategies(id_pool, huge=LONG_IN_URL)


def our_routes(env):
    """Every URL rule whose function one of our modules defines or overrides, with what it
    reads: ``[(rule, {"names", "takes_kw", "type", "methods"})]``."""
    found = []
    for rule in env["ir.http"].routing_map().iter_rules():
        method = rule.endpoint.func
        name = method.__name__
        owners = [vars(cls)[name] for cls in type(method.__self__).mro()
                  if name in vars(cls) and cls.__module__.split(".")[2:3]
                  and cls.__module__.split(".")[2] in OUR_MODULES]
        if not owners:
            continue
        names, takes_kw = set(FORM_FIELDS.get(rule.rule, ())), False
        for function in owners:
            original = getattr(function, "original_endpoint", function)
            for parameter in inspect.signature(original).parameters.values():
                if parameter.kind is parameter.VAR_KEYWORD:
                    takes_kw = True
                elif parameter.name != "self" and parameter.name not in rule.arguments:
                    names.add(parameter.name)
            source = inspect.getsource(original)
            for helper in PARAM_HELPERS:
                if helper in source:
                    source += "".join(inspect.getsource(vars(cls)[helper])
                                      for cls in type(method.__self__).mro()
                                      if helper in vars(cls))
            names.update(READS.findall(source))
        kind = rule.endpoint.routing["type"]
        # A JSON-RPC call is a POST whatever the route accepts.
        methods = ["POST"] if kind == "jsonrpc" else sorted(
            (rule.methods or {"GET", "POST"}) - {"HEAD", "OPTIONS"})
        found.append((rule, {"names": sorted(names), "takes_kw": takes_kw,
                             "type": kind, "methods": methods}))
    return sorted(found, key=lambda item: (item[0].rule, item[1]["methods"]))


class _ServerErrors(logging.Handler):
    """Errors and tracebacks the server logs while a request is served."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@tagged("post_install", "-at_install", "clinic_fuzz")
class TestFuzzRoutes(BookingSetup, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        cls._open_every_day()
        # The whole registration form is offered, so that every field of it is fuzzed.
        cls.company.sudo().write({"clinic_portal_allow_registration": True})
        cls.company.sudo().clinic_registration_field_ids.write({"show": True})
        cls.staff_user = new_test_user(cls.env, login="fuzz_staff", name="Fuzz Front Desk",
                                       groups="base.group_user,base.group_partner_manager")
        availability = cls.env["clinic.availability.engine"]
        policy = cls.env.company._clinic_portal_policy()
        for partner in (cls.patient, cls.other):
            start, end = availability._window(partner, policy, 0)
            starts = availability._free_starts(partner, cls.service, cls.staff, start, end,
                                               policy)[cls.staff.id]
            engine = cls.env["clinic.booking.engine"]
            engine._book(engine._service_request(
                partner, cls.service, starts[len(partner.name)], policy, staff_user=cls.staff))
        pool = {0, 1, 2**31 - 1, 2**31}
        for model in ID_MODELS:
            pool.update(cls.env[model].sudo().with_context(active_test=False).search(
                [], order="id desc", limit=6).ids)
        cls.id_pool = sorted(pool)
        cls.routes = our_routes(cls.env)
        tables = {*WATCHED_TABLES, *(
            model._table for model in cls.env.registry.values()
            if model._original_module in OUR_MODULES and not model._abstract
            and not model._transient and model._auto)}
        cls.env.cr.execute("""
            SELECT table_name, bool_or(column_name = 'write_date') FROM information_schema.columns
             WHERE table_name = ANY(%s) GROUP BY table_name ORDER BY table_name""",
                           [sorted(tables)])
        # (table, the column that moves when a row changes)
        cls.tables = [(table, "write_date" if logged else "id")
                      for table, logged in cls.env.cr.fetchall()]

    def _fingerprint(self):
        """Rows, last id and last change of every watched table."""
        rows = []
        for table, changed in self.tables:
            self.env.cr.execute(SQL("SELECT count(*), max(id), max(%s) FROM %s",
                                    SQL.identifier(changed), SQL.identifier(table)))
            rows.append((table, *self.env.cr.fetchone()))
        return rows

    def _csrf_token(self):
        fake_request = SimpleNamespace(env=self.env, session=self.session)
        return http.Request.csrf_token(fake_request)

    def _url(self, rule, path_values):
        def fill(match):
            return quote(path_values[match["name"]], safe="")
        return re.sub(r"<(?:[^:<>]+:)?(?P<name>\w+)>", fill, rule.rule)

    def _send(self, kind, method, url, pairs, json_params):
        if kind == "jsonrpc":
            body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": json_params}
            return self.url_open(url, data=json.dumps(body), timeout=60,
                                 headers={"Content-Type": "application/json"})
        if method == "POST":
            return self.url_open(url, data=[*pairs, ("csrf_token", self._csrf_token())],
                                 allow_redirects=False, timeout=60)
        return self.url_open(url, params=pairs, allow_redirects=False, timeout=60)

    def _refused(self, kind, response, session):
        if response.status_code >= 400:
            return True
        if kind == "jsonrpc":
            return "error" in response.json()
        if response.status_code == 200:
            # A form sent back with its message: "is-invalid" next to a field, or the alert.
            return any(mark in response.text for mark in REFUSAL_MARKS)
        location = response.headers.get("Location", "")
        return session == "anonymous" and "/web/login" in location

    def _server_error(self, kind, response):
        """What makes ``response`` a server error, or ''."""
        if response.status_code >= 500:
            return f"HTTP {response.status_code}"
        if kind == "jsonrpc" and response.status_code == 200:
            error = response.json().get("error")
            name = error and error.get("data", {}).get("name", "")
            if error and not name.startswith(USER_FACING_ERRORS):
                return f"JSON-RPC {name}: {error.get('data', {}).get('message')}"
        return ""

    def _fuzz_route(self, session, rule, info, method, errors, tally):
        converters = rule._converters
        in_url = _url_strategies(self.id_pool)
        strategies = in_url if method == "GET" else _strategies(self.id_pool)
        path = st.fixed_dictionaries({
            name: in_url.path_id if isinstance(converters[name], NumberConverter)
            else in_url.path_text for name in rule.arguments})
        names = list(info["names"]) + (list(STRAY_NAMES) if info["takes_kw"] else [])
        if names:
            # Each parameter present or missing, then some of them again (repeated).
            pairs = st.builds(
                lambda present, again: [*present.items(), *again],
                st.fixed_dictionaries({}, optional=dict.fromkeys(names, strategies.value)),
                st.lists(st.tuples(st.sampled_from(names), strategies.value), max_size=2))
            json_params = st.fixed_dictionaries({}, optional=dict.fromkeys(names,
                                                                           strategies.json))
        else:
            pairs, json_params = st.just([]), st.just({})

        explicit = [example_of(path=dict.fromkeys(rule.arguments, "1"),
                               pairs=[(name, value) for name in names],
                               json_params=dict.fromkeys(names, value)) for value in EXPLICIT]

        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck),
                  phases=(Phase.explicit, Phase.generate, Phase.shrink))
        @given(path=path, pairs=pairs, json_params=json_params)
        def example(path, pairs, json_params):
            url = self._url(rule, path)
            before = self._fingerprint()
            errors.records.clear()
            response = self._send(info["type"], method, url, pairs, json_params)
            tally["examples"] += 1
            tally["statuses"][(session, method, rule.rule, response.status_code)] += 1
            what = f"{session} {method} {url[:200]} {pairs!r:.300} {json_params!r:.300}"
            problem = self._server_error(info["type"], response)
            self.assertFalse(problem, f"{what}: {problem}")
            self.assertFalse(errors.records, f"{what}: the server logged " + "; ".join(
                record.getMessage()[:300] for record in errors.records))
            if self._refused(info["type"], response, session):
                self.assertEqual(self._fingerprint(), before,
                                 f"{what}: refused, yet the database changed")

        for add_example in explicit:
            example = add_example(example)
        example()

    def test_no_generated_input_reaches_a_server_error(self):
        errors = _ServerErrors()
        tally = {"examples": 0, "statuses": Counter()}
        fuzzed, left_out = set(), set()
        sessions = (("anonymous", None), ("patient", "booking_patient"),
                    ("staff", "fuzz_staff"))
        logging.getLogger().addHandler(errors)
        try:
            for session, login in sessions:
                self.authenticate(login, login)
                for rule, info in self.routes:
                    if not ONLY.search(rule.rule):
                        left_out.add((rule.rule, tuple(info["methods"])))
                        continue
                    for method in info["methods"]:
                        with self.subTest(session=session, route=rule.rule, method=method):
                            self._fuzz_route(session, rule, info, method, errors, tally)
                            fuzzed.add((rule.rule, tuple(info["methods"])))
        finally:
            logging.getLogger().removeHandler(errors)
        _logger.info("clinic fuzz: %s of %s routes fuzzed, %s examples, %s sessions, seed fixed",
                     len(fuzzed), len(self.routes), tally["examples"], len(sessions))
        if left_out:
            _logger.info("clinic fuzz: %s routes left out by CLINIC_FUZZ_ROUTES", len(left_out))
        for (session, method, url, status), count in sorted(tally["statuses"].items()):
            _logger.info("clinic fuzz: %s %s %s answered %s x%s", session, method, url, status,
                         count)
        self.assertEqual(len(fuzzed | left_out), len(self.routes))
        self.assertGreater(len(self.routes), 20, "the routing map lists our routes")
