"""A chef connects the practice's calendar on the Termine tab, fetches it, sees its appointments
"aus Kalender" and removes it again after a confirmation that says how many go with it."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.devtools import demo_calendar
from portal.devtools.feed_server import FeedServer
from portal.extensions import db
from portal.models import Appointment
from portal.timeutil import today_berlin

from .. import factories as f
from ..helpers import run_jobs
from .conftest import serious_accessibility_violations, sign_in


@pytest.fixture
def feeds():
    with FeedServer({demo_calendar.PATH: lambda: demo_calendar.sample_feed(today_berlin())}) as server:
        yield server


@pytest.mark.portal_config(CALENDAR_ALLOW_PRIVATE_HOSTS=True)
def test_connect_fetch_see_and_remove_the_practice_calendar(page, live_server, app, world, feeds):
    app.config["CALENDAR_ALLOW_PRIVATE_HOSTS"] = True  # the worker (run_jobs) fetches from loopback too
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.goto(f"{live_server}/therapeuten/{world.therapist_a}/termine")
    calendars = page.locator("#calendars")
    calendars.get_by_text("Kalender verbinden").click()
    calendars.get_by_label("Kalenderadresse (iCal, .ics)").fill(feeds.url(demo_calendar.PATH))
    expect(calendars.get_by_label("Praxis").first).to_have_value(str(world.practice_a1))  # her only practice
    calendars.get_by_role("button", name="Abonnieren und abrufen").click()
    expect(calendars.get_by_role("status")).to_have_text("Kalender gespeichert; er wird jetzt abgerufen.")
    expect(calendars).to_contain_text("Wird abgerufen …")
    expect(calendars).not_to_contain_text("private-7f3a9c2e51d04b86")  # shown masked from now on

    run_jobs(app)  # the worker fetches; the line polls itself and the list below reloads
    expect(calendars).to_contain_text(re.compile(r"Zuletzt abgerufen: .* – \d+ neu, 0 geändert, 0 entfernt"),
                                      timeout=10_000)
    with app.app_context():
        imported = db.session.scalar(select(func.count(Appointment.id)).where(Appointment.calendar_id.is_not(None)))
    assert imported > 0
    schedule = page.locator("#schedule")
    expect(schedule.get_by_text("aus Kalender", exact=True).first).to_be_visible(timeout=10_000)
    expect(calendars).to_contain_text("1 fehlerhafter Termin übersprungen")
    assert serious_accessibility_violations(page) == []

    calendars.get_by_role("button", name="Jetzt abrufen").click()
    expect(calendars.get_by_role("status")).to_have_text("Der Kalender wird abgerufen.")
    run_jobs(app)
    expect(calendars).to_contain_text("keine Änderungen", timeout=10_000)

    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    calendars.get_by_role("button", name="Entfernen").click()
    expect(calendars.get_by_role("status")).to_have_text(f"Kalender entfernt und mit ihm {imported} Termine.")
    assert questions == [f"Kalender „127.0.0.1 · …4b86“ entfernen? Seine {imported} Termine werden mit entfernt."]
    expect(schedule.get_by_text("aus Kalender", exact=True)).to_have_count(0)
