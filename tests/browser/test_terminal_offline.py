"""The terminal on a bad day, in a real browser: the Wi-Fi drops, check-ins are queued on the
tablet and sent once when it returns; one the rules refuse lands in "Zu klären"; a locked terminal
hands over nothing and forgets what it kept; a mistaken check-in is corrected at the desk; the
tablet's identification computes what the portal computes, for one shared table of names."""

import json
import re
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.checkin.models import Attendance, OfflineCheckIn, OfflineStatus, Terminal
from portal.extensions import db
from portal.timeutil import today_berlin

from .. import factories as f
from .conftest import serious_accessibility_violations, sign_in, wait_until_true
from .test_terminal import register_a_terminal, sign_on_the_pad

QUEUED = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("checkin-terminal");
  open.onsuccess = () => {
    const request = open.result.transaction("queue").objectStore("queue").getAll();
    request.onsuccess = () => { open.result.close(); resolve(request.result); };
  };
  open.onerror = () => reject(open.error);
})"""
KEPT = """() => indexedDB.databases().then(all => all.map(d => d.name))"""


def _attendances(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Attendance.id)))


def _paired_tablet(page, live_server, world):
    code = register_a_terminal(page, live_server, world)
    tablet = page.context.browser.new_context(viewport={"width": 1024, "height": 768}, locale="de-DE",
                                              has_touch=True, bypass_csp=True)
    terminal = tablet.new_page()
    terminal.goto(f"{live_server}/terminal/koppeln?code={code}")
    terminal.get_by_role("button", name="Koppeln").click()
    expect(terminal.get_by_role("heading", name="Heutige Kurse")).to_be_visible()
    # online, the tablet keeps the day's data for a bad moment
    expect(terminal.locator("body")).to_have_attribute("data-offline-ready", today_berlin().isoformat())
    return tablet, terminal


def _check_in_offline(terminal, course: str):
    terminal.get_by_role("button", name=re.compile(course)).click()
    terminal.get_by_label("Chip").type("4711\n")
    expect(terminal.get_by_role("heading", name="Hallo Petra P.")).to_be_visible()
    expect(terminal.locator(".offline-notice")).to_contain_text("Keine Verbindung zum Portal")
    sign_on_the_pad(terminal)
    terminal.get_by_role("button", name="Einchecken").click()
    expect(terminal.get_by_role("heading", name="Danke, Petra P.!")).to_be_visible()
    expect(terminal.locator(".offline-saved")).to_contain_text("wird übertragen, sobald die Verbindung zurück ist")


def test_offline_check_in_is_sent_once_when_the_connection_returns(page, live_server, world, app):
    with app.app_context():
        f.course_day(world.group_a, world.practice_a1)
    page.set_viewport_size({"width": 1366, "height": 900})
    tablet, terminal = _paired_tablet(page, live_server, world)
    # installed as a web app: the service worker runs and keeps the offline page and its assets
    wait_until_true(terminal, "() => navigator.serviceWorker.ready.then(r => !!r.active)")
    cached = terminal.evaluate("""() => caches.keys().then(names => caches.open(names[0]))
        .then(cache => cache.keys()).then(requests => requests.map(r => new URL(r.url).pathname))""")
    assert "/terminal/offline" in cached and "/static/terminal-offline.js" in cached
    tablet.set_offline(True)
    _check_in_offline(terminal, "Rücken fit")
    expect(terminal.locator("#terminal-queue")).to_have_text("1 Check-in wartet auf die Übertragung.")
    assert serious_accessibility_violations(terminal) == []
    terminal.get_by_role("button", name="Nächste Person").click()  # by name, typed without care: still her
    terminal.get_by_label("Nachname").fill("POHL ")
    terminal.get_by_label("Geburtsdatum").fill("1950-05-01")
    terminal.get_by_role("button", name="Weiter").last.click()
    expect(terminal.locator(".notice.error")).to_have_text("Petra P. ist für diesen Termin bereits eingecheckt.")
    queued = terminal.evaluate(QUEUED)
    assert len(queued) == 1 and queued[0]["signature"].startswith("data:image/png;base64,")
    assert re.fullmatch(r"[0-9a-f-]{36}", queued[0]["id"]) and _attendances(app) == 0

    tablet.set_offline(False)  # the Wi-Fi is back: the queue goes out by itself
    expect(terminal.locator("#terminal-queue")).to_have_text("Alle gespeicherten Check-ins sind übertragen.")
    assert terminal.evaluate(QUEUED) == [] and _attendances(app) == 1
    again = terminal.evaluate("""item => fetch("/terminal/nachtrag", {method: "POST",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify(item)}).then(r => r.json())""", queued[0])
    assert again == {"id": queued[0]["id"], "status": "applied", "known": True}  # harmless
    assert _attendances(app) == 1

    page.goto(f"{live_server}/kurse/heute")
    back = page.locator("article", has_text="Rücken fit")
    expect(back.locator("ul.checked-in li")).to_have_count(1)
    expect(back).to_contain_text("Petra Pohl")

    terminal.goto(f"{live_server}/terminal")
    tablet.set_offline(True)  # offline again, a check-in waits on the tablet when the practice locks it
    _check_in_offline(terminal, "Herzsport")
    page.goto(f"{live_server}/kurse/terminals")
    page.once("dialog", lambda dialog: dialog.accept())  # hx-confirm asks first
    page.get_by_role("button", name="Sperren").click()
    expect(page.locator(".notice.success")).to_contain_text("ist gesperrt")
    assert "checkin-terminal" in terminal.evaluate(KEPT)
    tablet.set_offline(False)
    terminal.goto(f"{live_server}/terminal")
    expect(terminal.get_by_role("heading", name="Dieses Terminal ist gesperrt")).to_be_visible()
    # nothing is handed over after the lock: the portal counts what the tablet held; it forgets everything
    wait_until_true(terminal, "() => indexedDB.databases().then(all => all.length === 0)")
    wait_until_true(terminal, "() => caches.keys().then(names => names.length === 0)")
    with app.app_context():
        assert [row.course.name for row in db.session.scalars(select(OfflineCheckIn))] == ["Rücken fit"]  # the earlier
        # counted once or twice: the open page may try before the locked page reports what was still there
        assert db.session.scalars(select(Terminal.refused_after_lock)).one() in (1, 2)
    page.reload()
    expect(page.locator(".refused-after-lock")).to_contain_text("nach der Sperre abgewiesen")
    tablet.close()


def test_a_check_in_the_rules_refuse_later_is_resolved_from_zu_klaeren(page, live_server, world, app):
    with app.app_context():
        f.course_day(world.group_a, world.practice_a1)
    page.set_viewport_size({"width": 1024, "height": 768})
    tablet, terminal = _paired_tablet(page, live_server, world)
    tablet.set_offline(True)
    _check_in_offline(terminal, "Herzsport")  # Petra is no member of "Herzsport": the rules want a reason
    tablet.set_offline(False)
    expect(terminal.locator("#terminal-queue")).to_have_text("Alle gespeicherten Check-ins sind übertragen.")
    assert _attendances(app) == 0
    tablet.close()

    page.goto(f"{live_server}/kurse/heute")
    clarify = page.locator("section.to-clarify")
    expect(clarify.get_by_role("heading", name=re.compile("Zu klären"))).to_be_visible()
    expect(clarify).to_contain_text("Petra Pohl gehört nicht zu dieser Gruppe")
    expect(clarify.get_by_role("img", name="Unterschrift von Petra Pohl")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    clarify.get_by_role("button", name="Als Teilnahme übernehmen").click()  # without the reason: refused
    expect(page.locator(".notice.error")).to_contain_text("Bitte den Grund für die Teilnahme als Springer angeben")
    page.locator("section.to-clarify").get_by_label("Grund für die Teilnahme als Springer").fill("Vertretung")
    page.locator("section.to-clarify").get_by_role("button", name="Als Teilnahme übernehmen").click()
    expect(page.locator(".notice.success")).to_contain_text("als Teilnahme übernommen")
    expect(page.locator("section.to-clarify")).to_have_count(0)
    expect(page.locator("article", has_text="Herzsport")).to_contain_text("Springer")
    with app.app_context():
        row = db.session.scalars(select(OfflineCheckIn)).one()
        assert row.status == OfflineStatus.ACCEPTED and row.attendance_id is not None
    assert _attendances(app) == 1


def test_a_mistaken_check_in_is_cancelled_and_another_moved(page, live_server, world, app):
    with app.app_context():
        ids = f.course_day(world.group_a, world.practice_a1)
        group = db.session.get(f.PracticeGroup, world.group_a)
        karl = f.participant(group, "Karl", "Kern", chip_id="0815", member_of=db.session.get(f.Course, ids["heart"]))
        f.attendance(ids["back"], ids["petra"])
        f.attendance(ids["heart"], karl.id, day=today_berlin())
        db.session.commit()
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.goto(f"{live_server}/kurse/heute")
    page.get_by_role("link", name="Teilnahme von Petra Pohl korrigieren").click()
    expect(page.get_by_role("heading", name="Teilnahme von Petra Pohl")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Teilnahme stornieren").click()
    expect(page.locator(".field-error, .notice.error").first).to_contain_text("Grund")
    page.get_by_label("Grund der Stornierung").fill("Falsche Person angeklickt")
    page.get_by_role("button", name="Teilnahme stornieren").click()
    expect(page.locator(".notice.success")).to_contain_text("ist storniert")
    back, heart = page.locator(f"#course-{ids['back']}"), page.locator(f"#course-{ids['heart']}")
    expect(back.locator("li.cancelled del")).to_have_text("Petra Pohl")
    expect(back).to_contain_text("storniert: Falsche Person angeklickt")

    page.get_by_role("link", name="Teilnahme von Karl Kern korrigieren").click()
    page.get_by_label("Anderer Termin am selben Tag").select_option(label="09:00 – Rücken fit")
    page.get_by_role("button", name="Verschieben").click()  # no member of "Rücken fit": the rules want a reason
    expect(page.locator(".notice.error")).to_contain_text("Karl Kern gehört nicht zu dieser Gruppe")
    page.get_by_label("Grund für die Teilnahme als Springer").fill("Falsch zugeordnet")
    page.get_by_role("button", name="Verschieben").click()
    expect(page.locator(".notice.success")).to_contain_text("Karl Kern ist jetzt bei „Rücken fit“")
    expect(back.locator("ul.checked-in li:not(.cancelled)")).to_contain_text("Karl Kern")
    expect(heart.locator("li.cancelled")).to_contain_text("Verschoben nach „Rücken fit“")


def test_the_offline_screens_are_the_pages_own_and_lead_through_a_check_in(page, live_server, world, app):
    """Without a connection the open page's own form identifies, the overview lists today's courses,
    a missing signature is asked for, the result and the idle timeouts are the configuration's, and a
    reload shows the service worker's offline page, which goes on from what the tablet keeps."""
    with app.app_context():
        ids = f.course_day(world.group_a, world.practice_a1)
        seconds = str(app.config["TERMINAL_RESULT_SECONDS"])
    tablet, terminal = _paired_tablet(page, live_server, world)
    errors = []
    terminal.on("pageerror", lambda error: errors.append(str(error)))
    terminal.goto(f"{live_server}/terminal/kurs/{ids['back']}")
    expect(terminal.locator("body")).to_have_attribute("data-offline-ready", today_berlin().isoformat())
    expect(terminal.locator("body")).to_have_attribute("data-result-seconds", seconds)
    tablet.set_offline(True)
    terminal.get_by_label("Chip").fill("9999")
    terminal.get_by_label("Chip").press("Enter")  # the page's own form, sent without a connection
    expect(terminal.locator(".notice.error")).to_contain_text("Niemand gefunden")
    expect(terminal.get_by_role("heading", name="Rücken fit, 09:00")).to_be_visible()
    terminal.get_by_role("button", name="Andere Kurse von heute").click()
    expect(terminal.get_by_role("heading", name="Check-in ohne Verbindung")).to_be_visible()
    expect(terminal.locator(".session-button").first).to_contain_text("09:00 Uhr")
    assert serious_accessibility_violations(terminal) == []
    terminal.get_by_role("button", name=re.compile("Rücken fit")).click()
    expect(terminal.get_by_label("Chip")).to_be_focused()
    expect(terminal.locator(".notice.error")).to_have_count(0)
    terminal.get_by_label("Nachname").fill("pohl")
    terminal.get_by_label("Geburtsdatum").fill("1950-05-01")
    terminal.get_by_role("button", name="Weiter").last.click()
    expect(terminal.get_by_role("heading", name="Hallo Petra P.")).to_be_visible()
    terminal.get_by_role("button", name="Einchecken").click()  # nothing drawn yet
    expect(terminal.locator(".notice.error")).to_contain_text("Bitte unterschreiben Sie")
    sign_on_the_pad(terminal)
    terminal.get_by_role("button", name="Einchecken").click()
    expect(terminal.get_by_role("heading", name="Danke, Petra P.!")).to_be_visible()
    terminal.get_by_role("button", name="Nächste Person").click()
    expect(terminal.get_by_role("heading", name="Rücken fit, 09:00")).to_be_visible()
    terminal.reload()  # without a connection: the service worker's offline page takes over
    expect(terminal.get_by_role("heading", name="Check-in ohne Verbindung")).to_be_visible()
    expect(terminal.locator(".terminal-header")).to_contain_text("Tresen")
    expect(terminal.locator("#terminal-queue")).to_have_text("1 Check-in wartet auf die Übertragung.")
    tablet.set_offline(False)  # back: the queue goes out, the tablet returns to today's courses
    expect(terminal.get_by_role("heading", name="Heutige Kurse")).to_be_visible()
    assert terminal.evaluate(QUEUED) == [] and _attendances(app) == 1
    assert errors == []
    tablet.close()


TABLE = json.loads((Path(__file__).parents[1] / "data/identification.json").read_text())


def test_the_tablet_derives_what_the_portal_derives_for_the_shared_table(page, live_server):
    """static/terminal/identity.js under the terminal's own CSP (WebAssembly allowed, nothing else): every
    stored name and chip of the table, and every way of typing it, reaches the portal's value."""
    context = page.context.browser.new_context(locale="de-DE")  # the page's CSP in force (no bypass)
    tablet = context.new_page()
    response = tablet.goto(f"{live_server}/terminal/offline")
    assert "'wasm-unsafe-eval'" in response.headers["content-security-policy"]
    tablet.wait_for_function("() => window.TerminalIdentity && window.hashwasm")
    derived = tablet.evaluate("""async (table) => {
      const key = await TerminalIdentity.importKey(table.key);
      const out = [];
      for (const c of table.cases) {
        const typed = c.kind === "chip" ? [c.chip, ...c.typed].map(TerminalIdentity.trimmed)
          : [c.last_name, ...c.typed].map(name => TerminalIdentity.folded(name) + "|" + c.birth_date);
        out.push(await Promise.all(typed.map(v => TerminalIdentity.derive(key, c.salt, c.kind, v, table.kdf))));
      }
      return out;
    }""", TABLE)
    context.close()
    for case, values in zip(TABLE["cases"], derived, strict=True):
        assert set(values) == {case["derived"]}, case


def test_the_tablet_folds_names_as_the_portal_does_for_the_shared_table(page, live_server):
    """static/terminal/fold.js in the browser (its own Unicode tables) against tests/data/name_folding.json,
    which tests/test_name_folding.py checks the portal's folding against."""
    cases = json.loads((Path(__file__).parents[1] / "data/name_folding.json").read_text())["cases"]
    page.goto(f"{live_server}/terminal/offline")
    folded = page.evaluate("""async (cases) => {
      const { folded } = await import("/static/terminal/fold.js");
      return cases.map(([typed]) => [typed, folded(typed)]);
    }""", cases)
    assert folded == cases
