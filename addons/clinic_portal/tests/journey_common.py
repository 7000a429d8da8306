import json
import logging
import re
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


class JourneyCounter:
    """A mixin for HttpCase: ``_counted_tour`` runs a tour whose last step calls
    ``reportJourney()`` (clinic_portal_tour_utils.js) and returns the loads and taps it
    counted, which the test logs as figures."""

    def _counted_tour(self, url, name, login):
        script = COUNTER % {"origin": json.dumps(self.base_url())}
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
        return loads, taps
