"""The practice's office work on check-in data in the browser: the CSV import with a bad line,
the PDFs offered, and a participant's data export and erasure."""

from playwright.sync_api import expect
from sqlalchemy import func, select

from portal.checkin.models import Participant
from portal.extensions import db
from portal.models import PracticeGroup

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


def test_the_prescription_kind_switches_its_usual_terms_and_nothing_is_assigned_by_accident(page, live_server,
                                                                                             world, app):
    """Issue 24, items 12 and 14 in the browser: Funktionstraining fills 12 months (104 units),
    Rehasport 18 months (50 units), a typed number stays; "Zur Gruppe hinzufügen" without a choice
    assigns nothing."""
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        f.course(g, g.practices[0], name="Rücken fit")
        person = f.participant(g, "Karl", "Kurz", units=None)
        db.session.commit()
        url = f"{live_server}/kurse/teilnehmer/{person.id}"
    sign_in(page, live_server, world.therapeut_a, f.PASSWORD)
    page.goto(url)
    kind, units, months = page.get_by_label("Art"), page.get_by_label("Genehmigte Einheiten"), page.get_by_label(
        "Gültig (Monate ab der ersten Teilnahme)")
    expect(kind).to_have_value("")
    kind.select_option("funktionstraining")
    expect(months).to_have_value("12")
    expect(units).to_have_value("104")
    kind.select_option("rehasport")
    expect(months).to_have_value("18")
    expect(units).to_have_value("50")
    units.fill("30")  # the prescription says 30: switching the kind keeps it
    kind.select_option("funktionstraining")
    expect(units).to_have_value("30")
    expect(months).to_have_value("12")
    page.get_by_label("Versichertennummer").fill("A123456789")
    page.get_by_role("button", name="Verordnung speichern").click()
    expect(page.locator(".notice")).to_contain_text("Die Verordnung ist gespeichert.")
    expect(page.locator("[data-remaining]")).to_have_text("30 / 30")
    expect(page.get_by_label("Kursgruppe")).to_have_value("")
    page.get_by_role("button", name="Zur Gruppe hinzufügen").click()
    expect(page.locator(".field-error")).to_contain_text("Bitte wählen Sie eine Kursgruppe.")
    expect(page.locator("main")).to_contain_text("Noch in keiner Gruppe.")
    assert serious_accessibility_violations(page) == []
