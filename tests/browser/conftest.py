"""Browser tests: Debian's Chromium driven by Playwright against the portal served from a thread."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pyotp
import pytest

from portal.timeutil import utcnow

from ..factories import SUPPORT_TOTP_SECRET

ROOT = Path(__file__).resolve().parents[2]
AXE = next((ROOT / "tests/vendor").glob("axe-*.min.js"))
VNU_JAR = ROOT / ".cache/vnu/node_modules/vnu-jar/build/dist/vnu.jar"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def _chromium() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium fehlt: bin/test installiert es als root mit apt-get, sonst CHROMIUM_PATH setzen.")
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": _chromium(), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A tablet at the counter; bypass_csp lets the test inject axe-core.
    return {**browser_context_args, "locale": "de-DE", "timezone_id": "Europe/Berlin",
            "viewport": {"width": 1024, "height": 768}, "bypass_csp": True}


def vnu_jar() -> Path:
    """The Nu HTML Checker (npm's vnu-jar, which bin/test installs under .cache/vnu), run with Java."""
    jar = Path(os.environ.get("VNU_JAR") or VNU_JAR)
    if not jar.exists() or not shutil.which("java"):
        pytest.fail("Nu HTML Checker fehlt: bin/test installiert vnu-jar mit npm nach .cache/vnu (und als root Java).")
    return jar


def wait_until_true(page, expression: str, timeout: float = 10.0) -> None:
    """Wait until the page's async ``expression`` (a function returning a promise) resolves truthy.
    page.evaluate awaits the browser's promise; wait_for_function would take the promise itself as
    a truthy answer and return at once."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(50)


def serious_accessibility_violations(page) -> list[str]:
    """Run axe-core on the page; return the serious and critical violations, readable."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def sign_in(page, base_url: str, email: str, password: str, landing: str = "/therapeuten",
            totp_secret: str | None = SUPPORT_TOTP_SECRET) -> None:
    """Sign in through the form; an account asking for its second factor gets the app's code."""
    page.goto(f"{base_url}/anmelden")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(rf"{re.escape(base_url)}({re.escape(landing)}|/anmelden/bestaetigen)$"))
    if page.url.endswith("/anmelden/bestaetigen"):
        page.get_by_label("Code aus der Authenticator-App").fill(pyotp.TOTP(totp_secret).at(utcnow()))
        page.get_by_role("button", name="Bestätigen").click()
        page.wait_for_url(f"{base_url}{landing}")
