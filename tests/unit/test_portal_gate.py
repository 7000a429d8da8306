"""Every client-portal route reads a client's documents through the access gate (clinic_portal).

Read from the controllers' source, without Odoo: a route is a method decorated with
``http.route``; the gate is ``_document_check_access`` (one document, also reached through
``_document_or_404``) and its list counterpart ``_documents_search``. The portal's controllers
extend one class at run time, so a route reaches a method of any controller file by its name.

A method reads a model's records when it calls ``browse``, ``search``, ``sudo`` … on
``env["model"]`` (directly or through a variable it assigned); calling a helper of the model
(``env["calendar.event"]._clinic_fee_of(...)``) reads no record of it.
"""

import ast
import textwrap
from pathlib import Path

CONTROLLERS = Path(__file__).resolve().parents[2] / "addons/clinic_portal/controllers"
# The clients' documents: appointments, course enrollments and seats, plans and plan lines,
# and the links that give someone access to a client.
PORTAL_MODELS = {"calendar.event", "clinic.course.enrollment", "clinic.course.seat",
                 "clinic.treatment.plan", "clinic.treatment.plan.line", "clinic.family.link"}
# Route parameters that name one of them.
DOCUMENT_PARAMS = {"event_id", "enrollment_id", "seat_id", "plan_line", "link_id"}
# The family member a page acts for is named by a "patient" parameter, which one method reads
# into a contact: the user, or one of the family members they act for, else a 404.
PATIENT_GATE = "_clinic_patient"
GATE = {"_document_check_access", "_documents_search"}
GATE_CALLS = GATE | {"_document_or_404"}
READS = {"browse", "exists", "read", "search", "search_count", "search_fetch", "search_read",
         "_search", "read_group", "_read_group", "sudo", "with_user"}


def _methods(tree):
    return {node.name: node for cls in tree.body if isinstance(cls, ast.ClassDef)
            for node in cls.body if isinstance(node, ast.FunctionDef)}


def _controllers(controllers=CONTROLLERS):
    """``{file name: {method name: method}}`` of every controller file."""
    return {path.name: _methods(ast.parse(path.read_text()))
            for path in sorted(controllers.glob("*.py"))}


def _is_route(method):
    return any(isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "route"
               for d in method.decorator_list)


def _calls(method):
    return {n.func.attr for n in ast.walk(method)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}


def _model_of(node, aliases):
    """The portal model a chain such as ``env["x"].with_context(...)`` starts from, or
    None."""
    while isinstance(node, (ast.Call, ast.Attribute)):
        node = node.func if isinstance(node, ast.Call) else node.value
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
            and node.slice.value in PORTAL_MODELS:
        return node.slice.value
    return None


def _reads(method):
    """The portal models whose records ``method`` reads itself."""
    aliases = {}
    for node in ast.walk(method):
        if isinstance(node, ast.Assign) and _model_of(node.value, aliases):
            aliases.update({target.id: _model_of(node.value, aliases)
                            for target in node.targets if isinstance(target, ast.Name)})
    return {_model_of(node.value, aliases) for node in ast.walk(method)
            if isinstance(node, ast.Attribute) and node.attr in READS} - {None}


def _reach(methods, name, seen):
    """The controller methods ``name`` calls, directly or through other methods."""
    if name in seen or name not in methods:
        return seen
    seen.add(name)
    for method in methods[name]:
        for called in _calls(method):
            _reach(methods, called, seen)
    return seen


def _routes(controllers):
    """``(file name, name, route method, {name: methods}, names of the methods it reaches)``
    of every route of every controller file."""
    files = _controllers(controllers)
    methods = {}
    for file_methods in files.values():
        for name, method in file_methods.items():
            methods.setdefault(name, []).append(method)
    for file_name, file_methods in files.items():
        for name, method in file_methods.items():
            if _is_route(method):
                yield file_name, name, method, methods, _reach(methods, name, set())


def ungated_routes(controllers=CONTROLLERS):
    """Routes that read a client's documents without the gate, over every controller file."""
    found = []
    for file_name, name, method, methods, reached in _routes(controllers):
        reads = any(_reads(m) for n in reached - GATE for m in methods[n])
        takes_document = any(a.arg in DOCUMENT_PARAMS for a in method.args.args)
        gated = bool(GATE_CALLS & set().union(*(_calls(m) for n in reached
                                                 for m in methods[n])))
        if reads or (takes_document and not gated):
            found.append(f"{file_name}:{name}")
    return found


def _names_patient(method):
    """Whether ``method`` reads a request's ``patient`` parameter: ``kw.get("patient")``,
    ``params["patient"]``."""
    def is_patient(node):
        return isinstance(node, ast.Constant) and node.value == "patient"
    return any(
        (isinstance(node, ast.Subscript) and is_patient(node.slice))
        or (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "get"
            and node.args and is_patient(node.args[0]))
        for node in ast.walk(method))


def unchecked_patient_routes(controllers=CONTROLLERS):
    """Routes that read the ``patient`` a request names without ``_clinic_patient``."""
    found = []
    for file_name, name, method, methods, reached in _routes(controllers):
        names = any(arg.arg == "patient" for arg in method.args.args) or any(
            _names_patient(m) for n in reached - {PATIENT_GATE} for m in methods[n])
        if names and PATIENT_GATE not in reached:
            found.append(f"{file_name}:{name}")
    return found


def test_no_route_reads_a_clients_document_around_the_gate():
    assert ungated_routes() == []


def test_every_route_naming_a_family_member_checks_the_user_acts_for_them():
    assert unchecked_patient_routes() == []


def test_a_route_naming_a_family_member_without_the_check_is_found(tmp_path):
    (tmp_path / "portal.py").write_text(textwrap.dedent('''
        class Portal(CustomerPortal):
            def _for_whom(self, params):
                return request.env["res.partner"].sudo().browse(int(params["patient"]))

            @http.route("/book")
            def book(self, **kw):
                return self._for_whom(kw)

            @http.route("/book/checked")
            def checked(self, patient=None, **kw):
                return self._clinic_patient(patient)

            def _clinic_patient(self, patient=None):
                return request.env.user.partner_id
    '''))
    assert unchecked_patient_routes(tmp_path) == ["portal.py:book"]


def test_the_gate_reads_every_clients_document():
    """The gate and its list counterpart look the model up in one table of the clients'
    documents, which names them all."""
    tree = ast.parse((CONTROLLERS / "portal.py").read_text())
    tables = {node.targets[0].id: {key.value for key in node.value.keys}
              for node in tree.body if isinstance(node, ast.Assign)
              and isinstance(node.value, ast.Dict) and isinstance(node.targets[0], ast.Name)}
    methods = _methods(tree)
    for name in GATE:
        used = {n.id for n in ast.walk(methods[name]) if isinstance(n, ast.Name)} & set(tables)
        assert [tables[table] for table in used] == [PORTAL_MODELS], name


def test_routes_ask_the_gate_for_clients_documents_only():
    """A model the gate does not know falls to core's check, which knows no client: every
    model a controller asks the gate for is one of the clients' documents."""
    asked = {call.args[0].value for methods in _controllers().values()
             for method in methods.values() for call in ast.walk(method)
             if isinstance(call, ast.Call) and getattr(call.func, "attr", "") in GATE_CALLS
             and call.args and isinstance(call.args[0], ast.Constant)}
    assert asked
    assert asked <= PORTAL_MODELS


def test_a_route_reading_a_document_around_the_gate_is_found(tmp_path):
    (tmp_path / "portal.py").write_text(textwrap.dedent('''
        class Portal(CustomerPortal):
            def _seat_of(self, seat_id):
                seats = request.env["clinic.course.seat"]
                return seats.sudo().browse(seat_id)

            def _fee(self, product):
                return request.env["calendar.event"]._clinic_fee_of(product)
    '''))
    (tmp_path / "courses.py").write_text(textwrap.dedent('''
        class Courses(Portal):
            @http.route("/seat/<int:seat_id>")
            def seat(self, seat_id):
                return self._seat_of(seat_id)

            @http.route("/enrollment/<int:enrollment_id>")
            def enrollment(self, enrollment_id):
                return self._fee(enrollment_id)

            @http.route("/fee")
            def fee(self, product=None):
                return self._fee(product)

            @http.route("/plans")
            def plans(self):
                return request.env["clinic.treatment.plan"].search([])
    '''))
    assert ungated_routes(tmp_path) == ["courses.py:seat", "courses.py:enrollment",
                                        "courses.py:plans"]
