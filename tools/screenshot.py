"""Takes the README's screenshots at 1366 px, a laptop's width: docs/screenshot.png (the demo
group's therapist list) and docs/screenshot-dialog.png (the details dialog open on it).

    .venv/bin/python tools/screenshot.py   (needs Chromium, as the browser tests do)
"""

from __future__ import annotations

import os
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


def main() -> None:
    tmp = tempfile.mkdtemp()
    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/demo.db",
                                     "RATELIMIT_STORAGE_URI": "memory://",
                                     "REDIS_URL": "redis://127.0.0.1:1/0"})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_demo_data()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="de-DE")
        page.goto(f"{base}/anmelden")
        page.get_by_label("E-Mail").fill(USERS[0][0])
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_url(f"{base}/therapeuten")
        page.screenshot(path=str(ROOT / "docs/screenshot.png"))
        page.get_by_role("button", name="Details von Lea Wagner").click()
        page.get_by_role("dialog").wait_for()
        page.wait_for_timeout(300)
        page.screenshot(path=str(ROOT / "docs/screenshot-dialog.png"))
        browser.close()
    server.shutdown()
    print("docs/screenshot.png and docs/screenshot-dialog.png written")


if __name__ == "__main__":
    main()
