"""A chef creates and activates therapists in the dialog; the list changes in place."""

from playwright.sync_api import expect

from portal.extensions import db
from portal.models import PracticeGroup

from .. import factories as f
from .conftest import serious_accessibility_violations, sign_in


def _mark_page(page):
    """A marker that a full page load would wipe out."""
    page.evaluate("window.__sameDocument = true")


def _same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_chef_creates_a_therapist_and_activates_the_app_without_a_reload(page, live_server, world):
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    assert serious_accessibility_violations(page) == []
    _mark_page(page)

    page.get_by_role("button", name="Therapeut anlegen").click()
    dialog = page.get_by_role("dialog", name="Therapeut anlegen")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Vorname")).to_be_focused()
    assert serious_accessibility_violations(page) == []

    dialog.get_by_label("Vorname").fill("Clara")
    dialog.get_by_label("Nachname").fill("Neumann")
    dialog.get_by_label("E-Mail", exact=True).fill("clara.neumann@praxis.example")
    dialog.get_by_label("Praxis am Dom").check()
    dialog.get_by_label("App aktivieren").check()
    dialog.get_by_role("button", name="OK").click()

    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_contain_text("Clara Neumann wurde angelegt.")
    row = page.locator("tr", has_text="Neumann, Clara")
    expect(row).to_contain_text("clara.neumann@praxis.example")
    expect(row).to_contain_text("Praxis am Dom")
    expect(row).to_contain_text("aktiviert")
    assert _same_document(page)


def test_ticking_only_app_aktivieren_updates_the_row_in_place(page, live_server, world):
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    _mark_page(page)
    row = page.locator(f"#therapist-{world.therapist_a}")
    expect(row).to_contain_text("nicht aktiviert")

    row.get_by_role("button", name="Details von Anna Schmidt").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("App aktivieren").check()
    dialog.get_by_role("button", name="OK").click()

    expect(dialog).to_be_hidden()
    expect(row.locator(".badge").first).to_have_text("aktiviert")
    expect(page.locator(f"#edit-therapist-{world.therapist_a}")).to_be_focused()
    assert _same_document(page)
    page.reload()
    expect(page.locator(f"#therapist-{world.therapist_a} .badge").first).to_have_text("aktiviert")


def test_invalid_input_keeps_the_dialog_open_with_a_german_message(page, live_server, world):
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.get_by_role("button", name="Details von Anna Schmidt").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Vorname").fill("")
    dialog.get_by_label("E-Mail", exact=True).fill("nicht-gueltig")
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_contain_text("Bitte geben Sie einen Vornamen ein.")
    expect(dialog).to_contain_text("Bitte geben Sie eine gültige E-Mail-Adresse ein")
    expect(dialog.get_by_label("Vorname")).to_be_focused()
    dialog.get_by_role("button", name="Abbrechen").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(f"#therapist-{world.therapist_a}")).to_contain_text("Schmidt, Anna")


def test_escape_closes_the_dialog_and_returns_focus(page, live_server, world):
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    opener = page.get_by_role("button", name="Details von Anna Schmidt")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()


def test_search_pushes_the_url_and_back_restores_the_full_list(page, live_server, world, app):
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        for name in ("Becker", "Wagner", "Hoffmann"):
            f.therapist(g, "Test", name)
        db.session.commit()
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    expect(page.locator("#result-count")).to_contain_text("4 Therapeuten")
    page.get_by_label("Suche nach Name oder E-Mail").fill("wagner")
    expect(page.locator("#result-count")).to_contain_text("1 Therapeut")
    expect(page).to_have_url(f"{live_server}/therapeuten?q=wagner")
    page.get_by_label("App-Status").select_option("inaktiv")
    expect(page).to_have_url(f"{live_server}/therapeuten?q=wagner&app=inaktiv")
    page.go_back()
    expect(page).to_have_url(f"{live_server}/therapeuten?q=wagner")
    expect(page.get_by_label("App-Status")).to_have_value("")  # this step has settled before the next
    expect(page.locator("#result-count")).to_contain_text("1 Therapeut")
    page.go_back()
    expect(page).to_have_url(f"{live_server}/therapeuten")
    expect(page.locator("#result-count")).to_contain_text("4 Therapeuten")


def test_a_filtered_address_reloads_as_the_same_filtered_list(page, live_server, world, app):
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        for name in ("Becker", "Wagner", "Hoffmann"):
            f.therapist(g, "Test", name)
        db.session.commit()
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.goto(f"{live_server}/therapeuten?q=wagner&app=inaktiv")
    page.reload()
    expect(page.get_by_label("Suche nach Name oder E-Mail")).to_have_value("wagner")
    expect(page.get_by_label("App-Status")).to_have_value("inaktiv")
    expect(page.locator("#result-count")).to_contain_text("1 Therapeut")
