"""Screenshots of the portal with the demo data, in a German Chromium.

    .venv/bin/python tools/screenshot.py
        the README's pictures at 1366 px, a laptop's width: docs/screenshot.png (the demo group's
        therapist list) and docs/screenshot-dialog.png (the details dialog open on it)
    .venv/bin/python tools/screenshot.py /kurse /protokoll --widths 1366 1024 390 [--user EMAIL] [--out DIR]
        each page at each width, signed in as a demo user (default: the chef), full length, as
        DIR/<page>-<width>.png (default DIR: bench/out/screens); "-" as the user: not signed in

Needs Chromium, as the browser tests do.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from portal import create_app  # noqa: E402
from portal.devtools.demo import PASSWORD, USERS, load_demo_data  # noqa: E402


def _serve_demo() -> tuple[str, object]:
    tmp = tempfile.mkdtemp()
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/demo.db",
                                     "RATELIMIT_STORAGE_URI": "memory://",
                                     "REDIS_URL": "redis://127.0.0.1:1/0", "THERAPIST_DB_DIR": f"{tmp}/dbs"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_demo_data()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is noise here
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/anmelden")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/(therapeuten|support|anmelden/bestaetigen)"))


def readme_pictures(browser, base: str) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="de-DE")
    _sign_in(page, base, USERS[0][0])
    page.screenshot(path=str(ROOT / "docs/screenshot.png"))
    page.get_by_role("button", name="Details von Lea Wagner").click()
    page.get_by_role("dialog").wait_for()
    page.wait_for_timeout(300)
    page.screenshot(path=str(ROOT / "docs/screenshot-dialog.png"))
    print("docs/screenshot.png and docs/screenshot-dialog.png written")


def pages_at_widths(browser, base: str, paths: list[str], widths: list[int], user: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for width in widths:
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="de-DE",
                                      timezone_id="Europe/Berlin")
        page = context.new_page()
        if user != "-":
            _sign_in(page, base, user)
        for path in paths:
            page.goto(base + path)
            page.wait_for_timeout(300)
            name = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "start"
            target = out / f"{name}-{width}.png"
            page.screenshot(path=str(target), full_page=True)
            wide = page.evaluate("document.documentElement.scrollWidth")
            print(f"{target}  (breiter als der Bildschirm: {wide} px)" if wide > width else target)
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--widths", nargs="+", type=int, default=[1366, 1024, 390])
    parser.add_argument("--user", default=USERS[0][0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench/out/screens")
    args = parser.parse_args()
    base, server = _serve_demo()
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        if args.paths:
            pages_at_widths(browser, base, args.paths, args.widths, args.user, args.out)
        else:
            readme_pictures(browser, base)
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
