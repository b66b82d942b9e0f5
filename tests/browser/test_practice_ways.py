"""What a practice stumbles over (issue 24, first round), in a German Chromium on a tablet: help
beside a sent code and beside the dialog, asking before unsaved changes are lost, what unticking
"App aktivieren" does, what the front desk may not do, and a new therapist's next steps."""

import re

import pytest
from playwright.sync_api import expect

from portal.auth.models import Role
from portal.extensions import db
from portal.models import Appointment, Therapist

from .. import factories as f
from .conftest import serious_accessibility_violations, sign_in

CHEF_ONLY = f"nur für die {Role.CHEF._label}"


@pytest.fixture
def tablet(browser):
    """A 1024 px tablet with a touch screen and no mouse to hover with."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="de-DE",
                                  timezone_id="Europe/Berlin", has_touch=True, bypass_csp=True)
    yield context.new_page()
    context.close()


def _sent_code(app, therapist_id: int, devices: int = 0) -> None:
    with app.app_context():
        therapist = db.session.get(Therapist, therapist_id)
        therapist.app_enabled = True
        f.code_request(therapist, accepted_by="smtp.relay.example", smtp_response="250 2.0.0 Ok: queued as 4Q1xYz")
        for n in range(devices):
            f.device(therapist, name=f"iPhone {n + 1}")
        db.session.commit()


def _open_dialog(page, name: str = "Anna Schmidt"):
    page.get_by_role("button", name=f"Details von {name}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_code_nicht_angekommen_beside_a_sent_code(page, live_server, world, app):
    _sent_code(app, world.therapist_a)
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    dialog = _open_dialog(page)
    question = dialog.get_by_text("Code nicht angekommen?")
    expect(question).to_be_visible()
    question.click()
    arrival = dialog.locator(".code-arrival")
    expect(arrival.locator(".typed-address")).to_have_text("anna.schmidt@praxis.example")
    expect(arrival).to_contain_text("Im Spam- oder Junk-Ordner")
    expect(arrival).to_contain_text("Den Absender zugang@praxisportal.example ins Adressbuch aufnehmen.")
    expect(arrival.locator("[data-accepted]")).to_contain_text(re.compile(
        r"vom Mailserver smtp\.relay\.example am \d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr"))
    help_link = arrival.get_by_role("link", name=re.compile("Die E-Mail mit dem Zugangscode kommt nicht an"))
    expect(help_link).to_have_attribute("target", "_blank")
    assert serious_accessibility_violations(page) == []


def test_help_from_the_dialog_opens_beside_it_and_keeps_what_was_typed(page, live_server, world, app):
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    dialog = _open_dialog(page)
    dialog.get_by_label("Vorname").fill("Annette")
    with page.context.expect_page() as opened:
        dialog.locator('[data-check="app"]').get_by_role("link", name=re.compile("Hilfe zu diesem Punkt")).click()
    help_page = opened.value
    help_page.wait_for_load_state()
    assert help_page.url.endswith("/hilfe/kann-sich-nicht-anmelden#app")
    expect(help_page.get_by_role("heading", level=1)).to_have_text("Der Therapeut kann sich nicht anmelden")
    help_page.close()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Vorname")).to_have_value("Annette")


def test_leaving_the_dialog_with_a_tick_asks_and_saves_what_the_link_needs(page, live_server, world, app):
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    dialog = _open_dialog(page)
    dialog.get_by_label("App aktivieren").check()
    schedule_link = dialog.get_by_role("link", name="Termin oder Kurs zuordnen")
    schedule_link.click()
    guard = dialog.get_by_role("alertdialog")
    expect(guard).to_contain_text("Ihre Änderungen sind noch nicht gespeichert.")
    expect(guard.get_by_role("button", name="Speichern und weiter")).to_be_focused()
    assert page.url == f"{live_server}/therapeuten"

    guard.get_by_role("button", name="Zurück zum Formular").click()
    expect(guard).to_have_count(0)
    expect(dialog.get_by_label("App aktivieren")).to_be_checked()

    schedule_link.click()
    dialog.get_by_role("button", name="Speichern und weiter").click()
    page.wait_for_url(f"{live_server}/therapeuten/{world.therapist_a}/termine")
    with app.app_context():
        assert db.session.get(Therapist, world.therapist_a).app_enabled


def test_escape_with_unsaved_changes_asks_and_going_on_without_saving_changes_nothing(page, live_server, world,
                                                                                      app):
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    dialog = _open_dialog(page)
    dialog.get_by_label("Nachname").fill("Schmitt")
    page.keyboard.press("Escape")
    guard = dialog.get_by_role("alertdialog")
    expect(guard).to_be_visible()
    guard.get_by_role("button", name="Ohne Speichern weiter").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator(f"#therapist-{world.therapist_a}")).to_contain_text("Schmidt, Anna")
    with app.app_context():
        assert db.session.get(Therapist, world.therapist_a).last_name == "Schmidt"
    _open_dialog(page)
    page.keyboard.press("Escape")  # nothing changed: it closes at once
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_unticking_app_aktivieren_says_what_it_does_and_voids_the_open_code(page, live_server, world, app):
    _sent_code(app, world.therapist_a, devices=2)
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    row = page.locator(f"#therapist-{world.therapist_a}")
    expect(row.locator(".code-status")).to_contain_text("gesendet, gültig bis")
    dialog = _open_dialog(page)
    hint = dialog.locator("#deactivation-hint")
    expect(hint).to_be_hidden()
    dialog.get_by_label("App aktivieren").uncheck()
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("synchronisieren die Geräte von Anna Schmidt nicht mehr")
    expect(hint).to_contain_text("Der offene Zugangscode wird mit OK ungültig.")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_be_hidden()
    message = page.locator("#flash")
    expect(message).to_contain_text("Die 2 angemeldeten Geräte synchronisieren nicht mehr und zeigen weiter, was sie "
                                    "schon geladen haben.")
    expect(message).to_contain_text("einen neuen Code braucht es erst nach einer Abmeldung in der App")
    expect(row.locator("[data-code-status]")).to_have_text("nicht mehr gültig (App deaktiviert)")
    expect(row.locator("[data-code-status]")).not_to_have_class(re.compile(r"\bok\b"))
    assert serious_accessibility_violations(page) == []


def test_the_front_desk_learns_what_the_praxisleitung_can_do(page, live_server, world, app):
    _sent_code(app, world.therapist_a, devices=1)
    sign_in(page, live_server, world.therapeut_a, f.PASSWORD)
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    expect(nav).to_contain_text(f"Scripts {CHEF_ONLY}")
    dialog = _open_dialog(page)
    withdraw = dialog.get_by_role("button", name="Berechtigung entziehen")
    expect(withdraw).to_be_disabled()
    expect(withdraw).to_have_accessible_description(CHEF_ONLY)
    end = dialog.get_by_role("button", name="Sitzung beenden")
    expect(end).to_be_disabled()
    expect(end).to_have_accessible_description(CHEF_ONLY)
    assert serious_accessibility_violations(page) == []

    page.goto(f"{live_server}/hilfe/datenbank-fehlt")
    page.get_by_role("link", name="Bereitgestellte Scripts").click()
    expect(page.locator("[data-reserved]")).to_contain_text(f"Diese Seite ist {CHEF_ONLY}.")
    expect(page.locator("[data-reserved]")).to_contain_text("Bitten Sie chef@nord.example, das für Sie zu erledigen.")
    assert serious_accessibility_violations(page) == []


def test_the_arrow_says_what_it_does_and_looks_disabled_when_it_cannot(tablet, live_server, world, app):
    with app.app_context():
        group = db.session.get(Therapist, world.therapist_a).group
        f.therapist(group, "Ben", "Aktiv", "ben@praxis.example", app_enabled=True)
        db.session.commit()
    sign_in(tablet, live_server, world.chef_a, f.PASSWORD)
    enabled = tablet.locator("tr", has_text="Aktiv, Ben").locator(".code-arrow")
    disabled = tablet.locator(f"#therapist-{world.therapist_a} .code-arrow")
    for arrow in (enabled, disabled):
        expect(arrow).to_have_text("➜ Zugangscode senden")
        expect(arrow).to_be_visible()
    expect(disabled).to_have_attribute("aria-disabled", "true")
    look = "el => { const s = getComputedStyle(el); return [s.borderTopStyle, s.color, s.backgroundColor]; }"
    enabled_look, disabled_look = enabled.evaluate(look), disabled.evaluate(look)
    assert disabled_look[0] == "dashed" and enabled_look[0] == "solid"
    assert disabled_look[1] != enabled_look[1] and disabled_look[2] != enabled_look[2]


def test_open_items_open_on_a_tap_and_stay_open_while_the_status_refreshes(tablet, live_server, world, app):
    with app.app_context():
        therapist = db.session.get(Therapist, world.therapist_a)
        therapist.app_enabled = True
        f.code_request(therapist, delivery="pending")  # no worker: "wird gesendet" looks again every second
        db.session.commit()
    sign_in(tablet, live_server, world.chef_a, f.PASSWORD)
    items = tablet.locator(f"#open-items-{world.therapist_a}")
    expect(items.get_by_text("Kein Termin und kein Kurs zugeordnet")).to_be_hidden()
    items.locator("summary").tap()
    expect(items.get_by_text("Kein Termin und kein Kurs zugeordnet")).to_be_visible()
    for _ in range(2):  # the status refreshes the mark out of band
        with tablet.expect_response(re.compile(rf"/therapeuten/{world.therapist_a}/zugangscode")):
            pass
    expect(items.get_by_text("Kein Termin und kein Kurs zugeordnet")).to_be_visible()
    assert serious_accessibility_violations(tablet) == []


def test_a_new_therapist_is_highlighted_with_the_next_steps(tablet, live_server, world, app):
    sign_in(tablet, live_server, world.chef_a, f.PASSWORD)
    tablet.get_by_role("button", name="Therapeut anlegen").tap()
    dialog = tablet.get_by_role("dialog", name="Therapeut anlegen")
    dialog.get_by_label("Vorname").fill("Clara")
    dialog.get_by_label("Nachname").fill("Neumann")
    dialog.get_by_label("E-Mail", exact=True).fill("clara.neumann@praxis.example")
    dialog.get_by_label("Praxis am Dom").check()
    dialog.get_by_role("button", name="OK").tap()
    expect(dialog).to_be_hidden()

    steps = tablet.locator(".new-therapists")
    expect(steps).to_contain_text("Gerade angelegt – die nächsten Schritte")
    expect(steps).to_contain_text("Clara Neumann")
    row = tablet.locator("tr.is-new")
    expect(row).to_contain_text("Neumann, Clara")
    expect(row.locator(".badge", has_text="neu")).to_be_visible()
    expect(steps.get_by_role("button", name="Termin oder Kurs zuordnen")).to_be_visible()
    assert serious_accessibility_violations(tablet) == []

    with app.app_context():
        clara = db.session.query(Therapist).filter_by(last_name="Neumann").one()
        db.session.add(Appointment(group_id=clara.group_id, therapist_id=clara.id, practice_id=world.practice_a2,
                                   title="Krankengymnastik", starts_at=f.at(f.today_berlin()), duration_minutes=30))
        db.session.commit()
    tablet.reload()
    expect(steps).to_contain_text("Termin oder Kurs zugeordnet")
    steps.get_by_role("button", name="App aktivieren").tap()
    dialog = tablet.get_by_role("dialog", name="Therapeutendetails: Clara Neumann")
    expect(dialog.get_by_label("App aktivieren")).to_be_focused()
    dialog.get_by_label("App aktivieren").check()
    dialog.get_by_role("button", name="OK").tap()
    expect(dialog).to_be_hidden()
    expect(steps).to_have_count(0)
    expect(tablet.locator("tr.is-new")).to_have_count(0)
