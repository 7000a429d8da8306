import json
import logging
import re
from importlib.resources import files
from unittest.mock import patch

from odoo.tests.common import ChromeBrowser

_logger = logging.getLogger(__name__)

# Counts, in the browser, the pages a patient loads and the controls they tap on the
# clinic's site: every new document of its origin is a load (the first one, where the
# journey starts, excepted), every click on a link, button or form control a tap.
COUNTER = """
(() => {
    if (location.origin !== %(origin)s) {
        return;
    }
    const key = (name) => "clinicJourney." + name;
    const bump = (name) => sessionStorage.setItem(
        key(name), String(Number(sessionStorage.getItem(key(name)) ?? "-1") + 1));
    bump("loads");
    if (sessionStorage.getItem(key("taps")) === null) {
        sessionStorage.setItem(key("taps"), "0");
    }
    const controls = "a[href], button, input, textarea, select, label, summary, [role=button]";
    document.addEventListener("click", (ev) => {
        if (ev.target.closest?.(controls)) {
            bump("taps");
        }
    }, true);
})();
"""

JOURNEY_LINE = re.compile(r"clinic-journey (\{.*\})")
AXE_LINE = re.compile(r"clinic-axe (\{.*\})", re.S)
# axe-core, Deque's accessibility engine, as a Python package ships it: loaded in every
# document of a counted journey, run by the tours' checkAccessibility() steps.
AXE = (files("axe_core_python") / "axe.min.js").read_text(encoding="utf-8")
# WCAG 2.1 AA (what Israel's IS 5568 asks of a clinic's site), and the impacts that fail.
FAILING_IMPACTS = ("critical", "serious")


class JourneyCounter:
    """A mixin for HttpCase: ``_counted_tour`` runs a tour whose last step calls
    ``reportJourney()`` (clinic_portal_tour_utils.js) and returns the loads and taps it
    counted, which the test logs as figures; every page state its ``checkAccessibility()``
    steps checked with axe-core must have no critical or serious WCAG 2.1 AA violation."""

    def _counted_tour(self, url, name, login):
        script = COUNTER % {"origin": json.dumps(self.base_url())} + "\n" + AXE
        lines = []
        navigate, console = ChromeBrowser.navigate_to, ChromeBrowser._handle_console

        def navigate_counting(browser, target, wait_stop=False):
            browser._websocket_request("Page.addScriptToEvaluateOnNewDocument",
                                       params={"source": script})
            return navigate(browser, target, wait_stop=wait_stop)

        def console_read(browser, *args, **kw):
            message = (kw.get("args") or [{}])[0].get("value")
            if isinstance(message, str):
                lines.append(message)
            return console(browser, *args, **kw)

        with patch.object(ChromeBrowser, "navigate_to", navigate_counting), \
                patch.object(ChromeBrowser, "_handle_console", console_read):
            self.start_tour(url, name, login=login)
        counts = [json.loads(m.group(1)) for m in map(JOURNEY_LINE.search, lines) if m]
        self.assertTrue(counts, f"the tour {name} reported no counts")
        loads, taps = counts[-1]["loads"], counts[-1]["taps"]
        _logger.info("journey %s: %s page loads and %s taps after %s", name, loads, taps, url)
        self._assert_accessible(name, lines)
        return loads, taps

    def _assert_accessible(self, name, lines):
        """No critical or serious WCAG 2.1 AA violation on any page state the tour checked."""
        states = [json.loads(m.group(1)) for m in map(AXE_LINE.search, lines) if m]
        failing = [
            f"{state['state']}: {violation['id']} ({violation['impact']}) "
            f"{violation['help']} at {', '.join(violation['targets'][:3])}: "
            f"{' '.join(violation.get('summary', '').split())}"
            for state in states for violation in state["violations"]
            if violation["impact"] in FAILING_IMPACTS]
        other = sum(len(state["violations"]) for state in states) - len(failing)
        _logger.info("journey %s: axe on %s page states: %s critical or serious, %s minor or "
                     "moderate violations", name, len(states), len(failing), other)
        self.assertFalse(failing, "WCAG 2.1 AA violations:\n" + "\n".join(failing))
