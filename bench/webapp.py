"""Benchmark: the therapist app in the browser (/app) in headless Chromium, with a therapist
database of 2,000 appointments and 20 courses.

Prints the median time from pressing "Anmelden" to the agenda painted (sign-in, download, keeping
it in IndexedDB, opening it with sql.js, the first screen; goal under 1.0 s), and the median time
from a cold start without a connection (the browser started anew on a signed-in profile, the
network off) to the agenda painted (goal under 0.5 s); then the sizes of what the app loads.

    .venv/bin/python bench/webapp.py [--runs 7] [--appointments 2000] [--courses 20]
"""

from __future__ import annotations

import argparse
import gzip
import logging
import os
import shutil
import statistics
import sys
import tempfile
import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from portal import create_app  # noqa: E402
from portal.codes import hashing  # noqa: E402
from portal.devtools.schema import rebuild  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Appointment,
    CodeRequest,
    Course,
    CourseKind,
    CourseMember,
    Delivery,
    Licence,
    LicenceKind,
    Participant,
    Practice,
    PracticeGroup,
    Therapist,
)
from portal.therapist_db import window as held  # noqa: E402
from portal.therapist_db.services import generate  # noqa: E402
from portal.timeutil import BERLIN, today_berlin, utcnow  # noqa: E402

EMAIL = "bench@praxis.example"
# Resolves with performance.now() once the agenda shows its items and the next frame is painted.
PAINTED = """
window.__painted = new Promise((resolve) => {
  const painted = () => {
    const agenda = document.getElementById("screen-agenda");
    if (!agenda || agenda.hidden || !agenda.querySelector(".agenda-item")) return false;
    requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0));
    return true;
  };
  new MutationObserver((_, observer) => { if (painted()) observer.disconnect(); })
    .observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["hidden"] });
});
document.addEventListener("submit", () => { window.__pressed = performance.now(); }, true);
"""


def build(app, appointments: int, courses: int) -> int:
    rebuild(app)
    with app.app_context():
        group = PracticeGroup(name="Praxisgruppe Bench")
        group.licences = [Licence(kind=k, valid_from=date(2020, 1, 1)) for k in LicenceKind]
        group.practices = [Practice(name=f"Praxis {n}", street="Markt 1", postcode="50667", city="Köln")
                           for n in range(3)]
        db.session.add(group)
        db.session.flush()
        therapist = Therapist(group_id=group.id, first_name="Bea", last_name="Bench", email=EMAIL, app_enabled=True,
                              practices=group.practices)
        db.session.add(therapist)
        db.session.flush()
        first = today_berlin() - timedelta(days=held.WINDOW_PAST_DAYS)
        days = held.WINDOW_PAST_DAYS + held.WINDOW_FUTURE_DAYS
        db.session.add_all(Appointment(
            group_id=group.id, therapist_id=therapist.id, practice_id=group.practices[n % 3].id,
            title=("Krankengymnastik", "Manuelle Therapie", "Lymphdrainage")[n % 3],
            starts_at=datetime.combine(first + timedelta(days=n % days), time(7 + n // days % 12), BERLIN),
            duration_minutes=30) for n in range(appointments))
        for n in range(courses):
            course = Course(group_id=group.id, practice_id=group.practices[n % 3].id, therapist_id=therapist.id,
                            kind=(CourseKind.REHASPORT, CourseKind.FUNKTIONSTRAINING)[n % 2], name=f"Kurs {n + 1}",
                            weekday=n % 6, start_time=time(8 + n % 10, 30), duration_minutes=45, capacity=15)
            db.session.add(course)
            db.session.flush()
            for m in range(12):
                person = Participant(group_id=group.id, first_name=f"Vorname{m}", last_name=f"Teilnehmer{n}-{m}",
                                     birth_date=date(1950, 1, 1))
                db.session.add(person)
                db.session.flush()
                db.session.add(CourseMember(course_id=course.id, participant_id=person.id))
        record = generate(therapist)
        db.session.commit()
        return record.size


def new_code(app) -> str:
    """A mailed code, as the worker stores it (the mail itself is not what is measured here)."""
    with app.app_context():
        therapist = db.session.query(Therapist).filter_by(email=EMAIL).one()
        now = utcnow()
        request = CodeRequest(group_id=therapist.group_id, therapist_id=therapist.id, email=EMAIL, requested_at=now,
                              delivery=Delivery.ACCEPTED, attempts=1, accepted_at=now,
                              expires_at=now + timedelta(minutes=15))
        db.session.add(request)
        db.session.flush()
        code = hashing.new_code()
        request.code_hash = hashing.code_hash(request.id, code)
        db.session.commit()
        return code


def sign_in(page, base: str, code: str) -> float:
    """Open the app, let it settle (as while the therapist types), press "Anmelden": milliseconds."""
    page.goto(f"{base}/app/", wait_until="networkidle")
    page.fill("#signin-email", EMAIL)
    page.fill("#signin-code", code)
    page.click("#signin-form button[type=submit]")
    return page.evaluate("window.__painted.then((at) => at - window.__pressed)")


def sizes() -> list[tuple[str, int, int]]:
    static = ROOT / "portal/static"
    files = {"sql.js WebAssembly (sql-wasm-1.16.0.wasm)": [static / "vendor/sql-wasm-1.16.0.wasm"],
             "sql.js loader (sql-wasm-1.16.0.js)": [static / "vendor/sql-wasm-1.16.0.js"],
             "the app's JavaScript (static/app/*.js)": sorted((static / "app").glob("*.js")),
             "the app's CSS (static/app/app.css)": [static / "app/app.css"]}
    return [(label, sum(p.stat().st_size for p in paths), sum(len(gzip.compress(p.read_bytes())) for p in paths))
            for label, paths in files.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--appointments", type=int, default=2000)
    parser.add_argument("--courses", type=int, default=20)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="bench-webapp-"))
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/portal.db",
                                 "REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "memory://",
                                 "THERAPIST_DB_DIR": str(tmp / "dbs"), "API_RATE_LIMIT": "10000 per minute"})
    size = build(app, args.appointments, args.courses)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    options = {"executable_path": chromium, "args": ["--no-sandbox", "--disable-gpu"]}
    context_options = {"viewport": {"width": 390, "height": 844}, "locale": "de-DE", "timezone_id": "Europe/Berlin"}
    signed_in, cold = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**options)
        for _ in range(args.runs):  # a phone that never saw the app: no worker, no cache
            context = browser.new_context(**context_options)
            context.add_init_script(PAINTED)
            signed_in.append(sign_in(context.new_page(), base, new_code(app)))
            context.close()
        browser.close()

        profile = tmp / "profile"  # a signed-in phone; each run starts the browser anew, offline
        context = playwright.chromium.launch_persistent_context(profile, **options, **context_options)
        context.add_init_script(PAINTED)
        page = context.new_page()
        sign_in(page, base, new_code(app))
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        context.close()
        for _ in range(args.runs):
            context = playwright.chromium.launch_persistent_context(profile, **options, **context_options)
            context.add_init_script(PAINTED)
            context.set_offline(True)
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{base}/app/")
            cold.append(page.evaluate("window.__painted"))
            assert page.locator("#app-status").inner_text().startswith("Offline"), "not offline"
            context.close()
    server.shutdown()

    print(f"Therapeuten-Datenbank: {args.appointments} Termine, {args.courses} Kurse, {size / 1024:.0f} KB")
    print(f"\"Anmelden\" bis Tagesansicht gezeichnet: Median {statistics.median(signed_in):.0f} ms "
          f"(min {min(signed_in):.0f}, max {max(signed_in):.0f}, {args.runs} Läufe; Ziel < 1000 ms)")
    print(f"Kaltstart offline bis Tagesansicht gezeichnet: Median {statistics.median(cold):.0f} ms "
          f"(min {min(cold):.0f}, max {max(cold):.0f}; Ziel < 500 ms)")
    for label, raw, packed in sizes():
        print(f"{label}: {raw / 1024:.0f} KB ({packed / 1024:.0f} KB gzip)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
