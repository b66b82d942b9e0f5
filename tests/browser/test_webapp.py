"""The therapist app in the browser (/app) on a phone, end to end against the real app API, with
the code read from the real SMTP server: sign-in and "Code anfordern", the agenda, Kurse, Konto,
sync, offline, deactivation and reactivation, a missing licence, withdrawal and signing out."""

import hashlib
import re
import sqlite3
import time as time_
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.codes.request import request_code
from portal.extensions import db
from portal.models import Device, Licence, Practice, Therapist, TherapistDatabase
from portal.therapist_db import generator
from portal.therapist_db.services import generate
from portal.timeutil import BERLIN, today_berlin

from .. import factories as f
from ..helpers import EMAIL, HX, activate, code_in, deactivate, run_jobs, signed_in
from .conftest import serious_accessibility_violations

STORED = "() => indexedDB.databases().then(all => all.map(d => d.name).sort())"
KEPT = """() => new Promise((resolve) => {
  const opening = indexedDB.open("therapeuten-app");
  opening.onsuccess = () => {
    const keys = opening.result.transaction("app").objectStore("app").getAllKeys();
    keys.onsuccess = () => { opening.result.close(); resolve(keys.result.map(String).sort()); };
  };
})"""
STAND = re.compile(r"^Stand: \d{1,2}\.\d{1,2}\.\d{4}, \d\d:\d\d Uhr$")


@pytest.fixture
def anna(app, world):
    """Anna Schmidt, activated, with two appointments today, one tomorrow and a course today with two
    members; her database generated."""
    today = today_berlin()
    with app.app_context():
        anna = db.session.get(Therapist, world.therapist_a)
        anna.app_enabled = True
        practice = db.session.get(Practice, world.practice_a1)
        for day, hour, title in ((today, 8, "Krankengymnastik"), (today, 15, "Manuelle Therapie"),
                                 (today + timedelta(days=1), 9, "Lymphdrainage")):
            f.appointment(anna, practice, datetime.combine(day, time(hour), BERLIN), title)
        back = f.course(anna.group, practice, anna, name="Rücken fit", weekday=today.weekday(), start=time(10, 30))
        f.participant(anna.group, "Petra", "Pohl", member_of=back)
        f.participant(anna.group, "Horst", "Hahn", member_of=back)
        generate(anna)
        db.session.commit()
    return world.therapist_a


@pytest.fixture
def phone(browser):
    """A phone (390 x 844) with a German Chromium; bypass_csp lets the tests inject axe-core."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE",
                                  timezone_id="Europe/Berlin", bypass_csp=True, has_touch=True)
    yield context
    context.close()


def code_from_the_practice(app, therapist_id, smtp_sink) -> str:
    """The arrow in the portal: a new code, mailed by the worker."""
    with app.app_context():
        request_code(db.session.get(Therapist, therapist_id))
        db.session.commit()
    run_jobs(app)
    return code_in(smtp_sink.messages()[-1])


def sign_in(page, code: str) -> None:
    page.get_by_label("E-Mail").first.fill(EMAIL)
    page.get_by_label("Zugangscode").fill(code)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Heute, ")


def no_sideways_scrolling_at_360(page) -> None:
    page.set_viewport_size({"width": 360, "height": 780})
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    page.set_viewport_size({"width": 390, "height": 844})


def served_schema(app, world, therapist_id, version: str) -> None:
    """The portal serves the therapist's database file marked with another schema version."""
    with app.app_context():
        record = db.session.get(TherapistDatabase, therapist_id)
        path = generator.path_for(world.group_a, therapist_id)
        with sqlite3.connect(path) as changed:
            changed.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
        changed.close()
        record.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        db.session.commit()


def stored_until(page, names, timeout=10.0) -> None:
    """Wait until the browser's IndexedDB holds exactly these databases (page.evaluate awaits the
    browser's promise; wait_for_function would take the promise itself as a truthy answer)."""
    deadline = time_.monotonic() + timeout
    while page.evaluate(STORED) != names:
        assert time_.monotonic() < deadline, page.evaluate(STORED)
        page.wait_for_timeout(50)


def checked(page) -> None:
    assert serious_accessibility_violations(page) == []
    no_sideways_scrolling_at_360(page)


def test_a_therapist_signs_in_reads_her_week_syncs_works_offline_and_signs_out(
        phone, live_server, app, world, anna, smtp_sink):
    page = phone.new_page()
    downloads = []  # the If-None-Match of each GET /database

    def note_download(request):
        if request.url.endswith("/database"):
            downloads.append(request.headers.get("if-none-match"))

    page.on("request", note_download)
    page.goto(f"{live_server}/app/")
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    device = page.get_by_label("Name dieses Geräts")
    expect(device).to_have_value(re.compile(r"^Chrome auf \w+"))
    checked(page)

    # 7: no code at hand: the therapist asks for one herself
    page.get_by_text("Kein Code da? Code anfordern").click()
    page.locator("#code-email").fill(EMAIL)
    page.get_by_role("button", name="Code anfordern").click()
    expect(page.locator("#code-answer")).to_contain_text("Wenn diese Adresse für die Therapeuten-App freigeschaltet")
    run_jobs(app)
    (mail,) = smtp_sink.messages()
    assert "Therapeuten-App im Browser öffnen" in mail.get_body(("html",)).get_content()

    # 1: sign in with the mailed code; "Heute" comes from the database, in time order
    device.fill("Annas Telefon")
    sign_in(page, code_in(mail))
    items = page.locator(".agenda-item")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("08:00–08:30 Uhr")
    expect(items.nth(0)).to_contain_text("Krankengymnastik")
    expect(items.nth(1)).to_contain_text("Rehasport")
    expect(items.nth(1)).to_contain_text("Rücken fit")
    expect(items.nth(1)).to_contain_text("Praxis am Markt, Köln · 45 Min. · 2 Teilnehmer")
    expect(items.nth(2)).to_contain_text("Manuelle Therapie")
    expect(page.locator("#app-status")).to_have_text(STAND)
    assert downloads == [None]
    checked(page)
    with app.app_context():  # the portal's device list names the browser like any device
        (row,) = db.session.scalars(select(Device)).all()
        assert (row.name, row.platform) == ("Annas Telefon", "Web-App, Linux")
    devices = signed_in(app, world.chef_a).get(f"/therapeuten/{anna}/geraete").get_data(as_text=True)
    assert "Annas Telefon <small>(Web-App, Linux)</small>" in devices

    # 2: day by day, back to today, Kurse and Konto
    page.get_by_role("button", name="Folgetag").click()
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("Heute")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Lymphdrainage")
    page.get_by_role("button", name="Heute", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Heute, ")
    page.get_by_role("link", name="Kurse").click()
    course = page.locator("article", has_text="Rücken fit")
    expect(course).to_contain_text("Rehasport")
    course.get_by_text("Teilnehmer: 2 von 15 Plätzen").click()
    expect(course.locator(".participants li")).to_have_text(["Hahn, Horst", "Pohl, Petra"])
    checked(page)
    page.get_by_role("link", name="Konto").click()
    account = page.locator("#screen-account")
    expect(account).to_contain_text("Anna Schmidt")
    expect(account).to_contain_text("Annas Telefon")
    expect(account).to_contain_text("Praxisgruppe Nord")
    expect(account.locator("[data-field=version]")).to_contain_text("erzeugt am")
    checked(page)

    # 3: a change in the portal reaches the app on "Aktualisieren"; unchanged, nothing is downloaded
    page.get_by_role("link", name="Heute").click()
    chef = signed_in(app, world.chef_a)
    response = chef.post(f"/therapeuten/{anna}/termine", headers=HX, data={
        "title": "Hausbesuch", "day": today_berlin().isoformat(), "start": "17:00", "duration_minutes": "60",
        "practice_id": str(world.practice_a1)})
    assert response.status_code == 200
    run_jobs(app)
    page.get_by_role("button", name="Aktualisieren").click()
    expect(items).to_have_count(4)
    expect(items.last).to_contain_text("17:00–18:00 Uhr")
    assert len(downloads) == 2 and re.fullmatch(r'"[0-9a-f]{64}"', downloads[1])  # If-None-Match: the old version
    page.get_by_role("button", name="Aktualisieren").click()
    expect(page.locator("#app-status")).to_have_text(STAND)
    assert len(downloads) == 2

    # 4: without a connection the app still opens, with the last data
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    phone.set_offline(True)
    page.reload()
    expect(items).to_have_count(4)
    expect(page.locator("#app-status")).to_have_text(re.compile(r"^Offline – Stand: \d"))
    phone.set_offline(False)  # back online: it syncs by itself
    expect(page.locator("#app-status")).to_have_text(STAND)

    # 6: "Abmelden" asks first, tells the portal and leaves nothing behind
    page.get_by_role("link", name="Konto").click()
    page.get_by_role("button", name="Abmelden").click()
    page.get_by_role("dialog").get_by_role("button", name="Abmelden").click()
    expect(page.locator("#signin-notice")).to_contain_text("Sie sind abgemeldet.")
    assert page.evaluate(STORED) == []
    with app.app_context():
        assert db.session.scalars(select(Device)).one().signed_out_at is not None


def test_deactivation_a_missing_licence_withdrawal_and_signing_out_offline(phone, live_server, app, world, anna,
                                                                          smtp_sink):
    app.config["ACCESS_CODE_RESEND_COOLDOWN_SECONDS"] = 0  # the portal sends three codes within seconds
    page = phone.new_page()
    page.clock.install(time=datetime.combine(today_berlin(), time(12), BERLIN))  # "Heute" stays today throughout
    page.goto(f"{live_server}/app/")
    sign_in(page, code_from_the_practice(app, anna, smtp_sink))
    with page.expect_request(re.compile(r"/api/app/v1/sync$")):  # 3: every 15 minutes while the app is open
        page.clock.fast_forward("15:00")
    expect(page.locator("#app-status")).to_have_text(STAND)
    chef = signed_in(app, world.chef_a)
    banner = page.locator("#banner-blocked")
    refresh = page.get_by_role("button", name="Aktualisieren")

    # 5: deactivated, the data stays and the banner says why; activated again, it syncs again
    deactivate(app, chef, anna)
    refresh.click()
    expect(banner).to_contain_text("Ihre Praxis hat die App-Nutzung deaktiviert – Sie sehen den letzten Stand, "
                                   "die Synchronisierung ist gesperrt")
    expect(page.locator(".agenda-item")).to_have_count(3)
    checked(page)
    page.reload()  # the banner stays until a sync succeeds
    expect(banner).to_be_visible()
    activate(app, chef, anna)
    refresh.click()
    expect(banner).to_be_hidden()
    expect(page.locator("#app-status")).to_have_text(STAND)
    with app.app_context():  # the same for a group whose licence ran out
        licences = db.session.scalars(select(Licence).where(Licence.group_id == world.group_a)).all()
        for licence in licences:
            licence.valid_until = today_berlin() - timedelta(days=1)
        db.session.commit()
    refresh.click()
    expect(banner).to_contain_text("keine gültige Lizenz für die App")
    expect(page.locator(".agenda-item")).to_have_count(3)
    with app.app_context():
        for licence in db.session.scalars(select(Licence).where(Licence.group_id == world.group_a)):
            licence.valid_until = None
        db.session.commit()
    refresh.click()
    expect(banner).to_be_hidden()

    # a release with a newer database schema: the file is kept, the last data stays, the app asks to reload
    served_schema(app, world, anna, "99")
    refresh.click()
    expect(page.locator("#banner-schema")).to_contain_text("diese Version der App noch nicht anzeigen kann")
    expect(page.locator(".agenda-item")).to_have_count(3)
    page.reload()
    expect(page.locator("#banner-schema")).to_be_visible()
    expect(page.locator(".agenda-item")).to_have_count(3)
    assert page.evaluate(KEPT) == ["database", "pending", "session", "sync"]
    served_schema(app, world, anna, "1")  # a file of before the last release: the portal is rewriting it
    refresh.click()
    expect(page.locator("#app-status")).to_have_text("Ihre Daten werden im Portal vorbereitet; die App versucht es "
                                                     "gleich wieder.")
    with app.app_context():
        generate(db.session.get(Therapist, anna))
        db.session.commit()
    page.clock.fast_forward("00:31")  # and it does
    expect(page.locator("#app-status")).to_have_text(STAND)
    expect(page.locator("#banner-schema")).to_be_hidden()
    assert page.evaluate(KEPT) == ["database", "session", "sync"]

    # 6: withdrawn: at the next contact everything on the device goes, and the sign-in says why
    withdrawn = chef.post(f"/therapeuten/{anna}/entziehen", headers=HX, data={"reason": "Telefon verloren"})
    assert withdrawn.status_code == 200
    refresh.click()
    expect(page.locator("#signin-notice")).to_contain_text("Ihre Berechtigung wurde entzogen")
    expect(page.locator("#signin-notice a")).to_have_attribute("href", re.compile("/hilfe/abmelden"))
    assert page.evaluate(STORED) == []
    checked(page)

    # signing out without a connection wipes at once and tells the portal when it is back
    activate(app, chef, anna)
    run_jobs(app)
    sign_in(page, code_in(smtp_sink.messages()[-1]))
    phone.set_offline(True)
    page.get_by_role("link", name="Konto").click()
    page.get_by_role("button", name="Abmelden").click()
    page.get_by_role("dialog").get_by_role("button", name="Abmelden").click()
    expect(page.locator("#signin-notice")).to_contain_text("sobald wieder eine Verbindung besteht")
    assert page.evaluate(STORED) == ["therapeuten-app-abmeldungen"]  # only the sign-out still to be sent
    with app.app_context():
        assert db.session.scalars(select(Device).order_by(Device.id.desc())).first().signed_out_at is None
    phone.set_offline(False)
    stored_until(page, [])  # the sign-out reached the portal, then its token left the device
    with app.app_context():
        assert db.session.scalars(select(Device).order_by(Device.id.desc())).first().signed_out_at is not None
