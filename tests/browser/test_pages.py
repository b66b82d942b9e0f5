"""A crawl through the portal with the demo data, as chef, therapeut, support and the terminal:
every page it reaches is valid HTML (the Nu HTML Checker; only htmx's own hx-* attributes are
let through) and fits a 1366 px laptop, a 1024 px tablet and a 390 px phone without scrolling sideways."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.calendars.services import upload
from portal.checkin import offline
from portal.checkin.services import cancel_attendance, check_in
from portal.checkin.terminal.pairing import new_pairing, pair, register
from portal.codes.request import request_code
from portal.devtools.demo import PASSWORD, USERS, load_demo_data
from portal.extensions import db
from portal.models import Course, Participant, Role, ScriptRun, Therapist, User
from portal.timeutil import today_berlin, utcnow

from .. import factories as f
from ..helpers import SIGNATURE_PNG, run_jobs
from .conftest import sign_in, vnu_jar

WIDTHS = (1366, 1024, 390)
CALENDAR = Path(__file__).parents[1] / "calendar_feeds/practice.ics"
PER_PATTERN = 2  # pages of one shape (ids replaced) visited per role
SKIP = re.compile(r"^/(static|dev)/|\.csv(\?|$)|^/api/")
HTMX_ATTRIBUTE = re.compile(r"Attribute “hx-[a-z-]+” not allowed")


@pytest.fixture
def demo(app):
    """The demo data, plus what makes the pages full: a code mail, a device, a script run, a terminal,
    a check-in today, a cancelled one, one from the terminal waiting under "Zu klären", and two
    calendars (an upload with skipped events, a feed failing for two days)."""
    with app.test_request_context():  # the pairing code's QR code needs an address
        group = load_demo_data()
        support = db.session.scalar(select(User).where(User.role == Role.SUPPORT))
        support.totp_secret = f.SUPPORT_TOTP_SECRET  # the demo's support sets it up at first sign-in
        chef = db.session.scalar(select(User).where(User.role == Role.CHEF))
        anna = db.session.scalar(select(Therapist).where(Therapist.last_name == "Schmidt"))
        request_code(anna, chef)
        f.device(anna, name="iPhone von Anna")
        db.session.add(ScriptRun(group_id=group.id, script="generate_missing", started_by_label=chef.email,
                                 status="done", result="3 von 3 Datenbanken erzeugt"))
        terminal, first = register(group.id, "Tresen", "TAB-01", chef)
        pair(first.code)  # the tablet at the counter, which then lost its Wi-Fi for a while
        course = db.session.scalar(select(Course).where(Course.name == "Wirbelsäulengymnastik"))
        petra, horst = (db.session.scalar(select(Participant).where(Participant.last_name == name))
                        for name in ("Pohl", "Hahn"))
        first = check_in(petra, course, today_berlin(), SIGNATURE_PNG, user=chef)
        cancel_attendance(first.attendance, "Versehen", chef)
        check_in(horst, course, today_berlin(), SIGNATURE_PNG, user=chef)
        offline.replay(terminal, offline.Queued(str(uuid.uuid4()), course.id, horst.id, utcnow(), SIGNATURE_PNG,
                                                offline.day_ticket(terminal, today_berlin(), utcnow())))
        # Anna's calendars: an uploaded export (with skipped events) and a feed failing for two days
        upload(anna, anna.practices[0].id, "terminbuch.ics", CALENDAR.read_bytes(), chef)
        failing = f.calendar(anna, anna.practices[0])
        failing.error, failing.failing_since = {"code": "http_status", "status": 404}, utcnow() - timedelta(days=2)
        pairing = new_pairing(terminal)  # the browser below pairs with a fresh code
        db.session.commit()
    run_jobs(app)
    return pairing.code


def _shape(path: str) -> str:
    return re.sub(r"\d+", "{id}", path)


def _overflow(page) -> int:
    """How many pixels the document is wider than the window."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


STICKING_OUT = """() => [...document.querySelectorAll('body *')].filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > document.documentElement.clientWidth + 1
        && ![...el.children].some(child => child.getBoundingClientRect().right >= box.right);
  }).slice(0, 3).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().replace(/ +/g, '.') : ''))"""


class Crawl:
    def __init__(self, base: str, folder) -> None:
        self.base, self.folder = base, folder
        self.pages: dict[str, str] = {}  # file name -> the page's address
        self.too_wide: list[str] = []
        self.console: list[str] = []  # errors the browser reported (htmx's syntax errors among them)

    def watch(self, page) -> None:
        page.on("console", lambda message: message.type == "error" and self.console.append(
            f"{page.url}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"{page.url}: {error}"))

    def keep(self, page, label: str, html: str) -> None:
        """Save the server's HTML for the checker and measure the page at both widths."""
        name = f"{len(self.pages):03d}.html"
        (self.folder / name).write_text(html, encoding="utf-8")
        self.pages[name] = label
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            if (extra := _overflow(page)) > 0:
                self.too_wide.append(f"{label} at {width} px: {extra} px too wide ({page.evaluate(STICKING_OUT)})")
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    def run(self, page, *starts: str, limit: int = 60) -> None:
        queue, seen, shapes = list(starts), set(), {}
        while queue and len(seen) < limit:
            path = queue.pop(0)
            if path in seen or shapes.get(_shape(path), 0) >= PER_PATTERN:
                continue
            seen.add(path)
            shapes[_shape(path)] = shapes.get(_shape(path), 0) + 1
            response = page.goto(self.base + path)
            assert response.status == 200, (path, response.status)
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            self.keep(page, path, response.text())
            for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
                parts = urlsplit(href)
                if parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
                    continue
                if path.startswith("/hilfe") and not parts.path.startswith("/hilfe"):
                    continue  # help is shared by every role; its links into the portal are for some of them
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))


def _sign_in(page, base: str, role: Role, email: str) -> None:
    sign_in(page, base, email, PASSWORD, landing="/support" if role == Role.SUPPORT else "/therapeuten")


def _nu_errors(jar, folder, pages: dict[str, str]) -> list[str]:
    result = subprocess.run(["java", "-jar", str(jar), "--errors-only", "--format", "json", str(folder)],
                            capture_output=True, text=True, timeout=300)
    errors = []
    for message in json.loads(result.stderr or result.stdout)["messages"]:
        if HTMX_ATTRIBUTE.search(message.get("message", "")):
            continue
        name = message.get("url", "").rsplit("/", 1)[-1]
        errors.append(f"{pages.get(name, name)} line {message.get('lastLine')}: {message.get('message')} "
                      f"[{message.get('extract', '').strip()}]")
    return errors


def test_every_page_is_valid_html_and_fits_a_laptop_and_a_tablet(browser, live_server, demo, tmp_path):
    jar = vnu_jar()
    crawl = Crawl(live_server, tmp_path)
    roles = {role: email for email, role in USERS}
    for role in (Role.CHEF, Role.THERAPEUT, Role.SUPPORT):
        context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin",
                                      viewport={"width": WIDTHS[0], "height": 900})
        page = context.new_page()
        crawl.watch(page)
        _sign_in(page, live_server, role, roles[role])
        crawl.run(page, *(("/", "/support?q=sonnenhof") if role == Role.SUPPORT else ("/",)))
        if role == Role.CHEF:  # a form with errors, as the page shows it without htmx
            page.goto(f"{live_server}/therapeuten/neu")
            with page.expect_navigation() as sent:
                page.get_by_role("button", name="OK").click()
            crawl.keep(page, "POST /therapeuten (Fehler)", sent.value.text())
            missing = page.goto(f"{live_server}/therapeuten/999999")
            assert missing.status == 404
            crawl.keep(page, "404", missing.text())
        context.close()
    anonymous = browser.new_context(locale="de-DE", viewport={"width": WIDTHS[0], "height": 900})
    page = anonymous.new_page()
    crawl.watch(page)
    crawl.run(page, "/anmelden", limit=15)
    crawl.run(page, f"/terminal/koppeln?code={demo}", limit=1)
    with page.expect_navigation():
        page.get_by_role("button", name="Koppeln").click()
    crawl.run(page, "/terminal")
    page.goto(f"{live_server}/terminal")
    page.get_by_role("button", name=re.compile("Wirbelsäulengymnastik")).click()
    page.get_by_label("Chip").fill("1001")
    with page.expect_navigation() as signing:
        page.get_by_label("Chip").press("Enter")
    crawl.keep(page, "POST /terminal/kurs (Unterschrift)", signing.value.text())
    anonymous.close()

    assert len(crawl.pages) >= 30, crawl.pages
    visited = set(crawl.pages.values())
    for shape in ("/kurse/teilnahmen/{id}", "/kurse/teilnehmer/{id}/bearbeiten", "/kurse/verordnungen/{id}/bearbeiten"):
        assert shape in {_shape(path) for path in visited}, shape  # the correction pages were checked too
    assert crawl.too_wide == [], "\n".join(crawl.too_wide)
    script_errors = [line for line in crawl.console if "Failed to load resource" not in line]  # 404, 422 are meant
    assert script_errors == [], "\n".join(script_errors)
    errors = _nu_errors(jar, tmp_path, crawl.pages)
    assert errors == [], "\n".join(errors)


def test_long_practice_names_do_not_widen_the_list(page, live_server, world, app):
    """A practice may be named with 120 characters; the list still fits a tablet, the full name
    shows on hover."""
    long_name = ("Praxis für Physiotherapie, Manuelle Therapie und Rehabilitationssport am Sonnenhof "
                 "– Zweigstelle Nordstadt-Ost")[:120]
    with app.app_context():
        therapist = db.session.get(Therapist, world.therapist_a)
        therapist.practices.append(f.practice(therapist.group, long_name))
        db.session.commit()
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server}/therapeuten")
        assert _overflow(page) <= 0, width
        name = page.locator(f"#therapist-{world.therapist_a} .practice-name", has_text="Zweigstelle")
        expect(name).to_have_attribute("title", long_name)
