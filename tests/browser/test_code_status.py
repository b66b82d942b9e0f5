"""Activation in the browser: the code status goes from "wird gesendet" to "gesendet" by itself."""

import os
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Therapist

from .. import factories as f
from .conftest import serious_accessibility_violations, sign_in

ROOT = Path(__file__).resolve().parents[2]


def run_worker(database_url: str, redis_url: str, smtp_port: int) -> None:
    """The real worker.py, in burst mode: it sends what is queued, then exits."""
    env = {**os.environ, "PORTAL_ENV": "testing", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port)}
    subprocess.run([sys.executable, str(ROOT / "worker.py"), "--burst"], env=env, cwd=ROOT, check=True,
                   timeout=60, capture_output=True)


def test_activation_shows_sending_then_sent_without_a_reload(page, live_server, world, database_url, redis_url,
                                                            smtp_sink):
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.evaluate("window.__sameDocument = true")
    row = page.locator(f"#therapist-{world.therapist_a}")
    arrow = row.locator(".code-arrow")
    expect(arrow).to_have_attribute("data-tooltip", "Noch kein Zugangscode gesendet")

    row.get_by_role("button", name="Details von Anna Schmidt").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("App aktivieren").check()
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_be_hidden()
    status = row.locator(".code-status")
    expect(status).to_contain_text("wird gesendet")
    expect(page.get_by_role("status")).to_contain_text("Ein neuer Zugangscode wird an anna.schmidt@praxis.example")

    mark = row.locator(".readiness-mark")
    expect(mark).to_contain_text("3 Punkte offen")  # no appointment, database and code on their way

    run_worker(database_url, redis_url, smtp_sink.port)
    expect(status).to_contain_text(re.compile(r"gesendet, gültig bis \d\d:\d\d"), timeout=10_000)
    expect(mark).to_contain_text("1 Punkt offen")  # the mark follows the status, without a reload
    last_sent = re.compile(r"Zuletzt gesendet am \d\d\.\d\d\.\d{4} um \d\d:\d\d Uhr")
    expect(arrow).to_have_attribute("data-tooltip", last_sent)
    arrow.hover()
    tooltip = arrow.evaluate("el => getComputedStyle(el, '::before').content")
    assert last_sent.search(tooltip)
    assert page.evaluate("window.__sameDocument === true")
    assert len(smtp_sink.messages()) == 1
    assert serious_accessibility_violations(page) == []


def test_the_arrow_in_the_dialog_sends_a_new_code(page, live_server, world, database_url, redis_url, smtp_sink, app):
    with app.app_context():
        db.session.get(Therapist, world.therapist_a).app_enabled = True
        db.session.commit()
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.get_by_role("button", name="Details von Anna Schmidt").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name=re.compile("Neuen Zugangscode senden")).click()
    expect(dialog.locator(".code-status")).to_contain_text("wird gesendet")
    expect(dialog.locator(".code-message")).to_contain_text("Ein neuer Zugangscode wird an")  # in the dialog
    code_item = dialog.locator('[data-check="code"]')
    expect(code_item).to_contain_text("in Arbeit")
    run_worker(database_url, redis_url, smtp_sink.port)
    expect(dialog.locator(".code-status")).to_contain_text("gesendet, gültig bis", timeout=10_000)
    expect(code_item).to_have_attribute("data-ok", "ja")  # the checklist follows the status
    assert serious_accessibility_violations(page) == []
