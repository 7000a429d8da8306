"""Every client-portal route reads appointments through the access gate (clinic_portal).

Read from the controller's source, without Odoo: a route is a method decorated with
``http.route``; the gate is ``_appointment_check_access`` (one appointment, reached through
``_appointment_or_404``) and its list counterpart ``_appointments_search``.
"""

import ast
from pathlib import Path

CONTROLLERS = Path(__file__).resolve().parents[2] / "addons/clinic_portal/controllers"
GATE = {"_appointment_check_access", "_appointments_search"}
GATE_CALLS = {"_appointment_or_404", "_appointment_check_access", "_appointments_search"}


def _methods(tree):
    return {node.name: node for cls in tree.body if isinstance(cls, ast.ClassDef)
            for node in cls.body if isinstance(node, ast.FunctionDef)}


def _is_route(method):
    return any(isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "route"
               for d in method.decorator_list)


def _calls(method):
    return {n.func.attr for n in ast.walk(method)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}


def _reads_events(method):
    return any(isinstance(n, ast.Constant) and n.value == "calendar.event"
               for n in ast.walk(method))


def _reach(methods, name, seen):
    """The controller methods ``name`` calls, directly or through other methods."""
    if name in seen or name not in methods:
        return seen
    seen.add(name)
    for called in _calls(methods[name]):
        _reach(methods, called, seen)
    return seen


def ungated_routes():
    """Routes that read calendar.event without the gate, over every controller file."""
    found = []
    for path in sorted(CONTROLLERS.glob("*.py")):
        methods = _methods(ast.parse(path.read_text()))
        for name, method in methods.items():
            if not _is_route(method):
                continue
            reached = _reach(methods, name, set())
            reads = any(_reads_events(methods[m]) for m in reached - GATE)
            takes_event = any(a.arg == "event_id" for a in method.args.args)
            gated = bool(GATE_CALLS & set().union(*(_calls(methods[m]) for m in reached)))
            if reads or (takes_event and not gated):
                found.append(f"{path.name}:{name}")
    return found


def test_no_route_reads_appointments_around_the_gate():
    assert ungated_routes() == []


def test_the_gate_itself_reads_appointments():
    methods = _methods(ast.parse((CONTROLLERS / "portal.py").read_text()))
    assert all(_reads_events(methods[name]) for name in GATE)
