"""The practice's office work on check-in data in the browser: the CSV import with a bad line,
the PDFs offered, and a participant's data export and erasure."""

from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.checkin.models import Participant
from portal.extensions import db

from .. import factories as f
from .conftest import serious_accessibility_violations, sign_in

CSV = "Nachname;Vorname;Geburtsdatum;Chip\nWeiß;Jörg;03.04.1951;CHIP-1\nMeyer;Max;31.02.1950;\n"


def test_a_csv_import_with_a_bad_line_shows_it_and_saves_only_on_confirmation(page, live_server, world, tmp_path,
                                                                              app):
    upload = tmp_path / "teilnehmer.csv"
    upload.write_text(CSV, encoding="utf-8")
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.goto(f"{live_server}/kurse/teilnehmer")
    page.get_by_role("link", name="Teilnehmer aus einer CSV-Datei importieren").click()
    page.get_by_label("CSV-Datei").set_input_files(str(upload))
    page.get_by_role("button", name="Vorschau zeigen").click()
    expect(page.locator('[data-line="3"][data-state="fehler"]')).to_contain_text("„31.02.1950“ ist kein Datum")
    expect(page.locator('[data-line="2"][data-state="neu"]')).to_contain_text("Weiß, Jörg")
    assert serious_accessibility_violations(page) == []
    with app.app_context():  # the preview saved nothing
        assert db.session.scalar(select(func.count(Participant.id))) == 0
    page.get_by_role("button", name="1 Teilnehmer importieren").click()
    expect(page.locator("#flash")).to_contain_text("1 Teilnehmer importiert.")
    expect(page.get_by_role("link", name="Weiß, Jörg")).to_be_visible()
    page.get_by_role("link", name="Weiß, Jörg").click()
    expect(page.get_by_role("button", name="Datenauskunft als PDF")).to_be_visible()
    page.get_by_label("Alle Daten von Jörg Weiß endgültig löschen").check()
    page.get_by_role("button", name="Daten löschen").click()
    expect(page.locator("#flash")).to_contain_text("Die Daten von Jörg Weiß sind gelöscht.")
    expect(page.locator("main")).not_to_contain_text("Weiß, Jörg")
