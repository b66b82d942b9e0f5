"""Participants from a CSV file: a preview with every line checked, nothing saved before the
confirmation, and a second import creates no duplicates."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.checkin.models import Participant
from portal.extensions import db
from portal.models import PracticeGroup
from portal.timeutil import clock

from . import factories as f
from .helpers import audit_entries

PAGE = "/kurse/teilnehmer/import"
EXCEL = ("Nachname;Vorname;Geburtsdatum;Chip\r\n"
         "Weiß;Jörg;03.04.1951;CHIP-1\r\n"
         "Schmidt;Anna;1960-12-24;\r\n"
         ";Ohne;01.01.1950;\r\n"
         "Meyer;Max;31.02.1950;\r\n"
         "Pohl;Petra;01.05.1950;\r\n"  # known: the fixture's Petra Pohl (by name and birth date)
         "Weiß;Jörg;03.04.1951;CHIP-1\r\n").encode("cp1252")  # twice in the file


@pytest.fixture(autouse=True)
def _today():
    clock.set(datetime(2026, 12, 2, 10, tzinfo=UTC))


@pytest.fixture
def chef(chef, app, world):
    """The chef's client, with Petra Pohl a participant of the group already."""
    with app.app_context():
        f.participant(db.session.get(PracticeGroup, world.group_a), "Petra", "Pohl")
        db.session.commit()
    return chef


def _upload(chef, content: bytes):
    return chef.post(PAGE, data={"datei": (io.BytesIO(content), "liste.csv")}, content_type="multipart/form-data")


def _states(html: str) -> dict[int, str]:
    return {int(n): state for n, state in re.findall(r'data-line="(\d+)" data-state="(\w+)"', html)}


def _people(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Participant.id)))


def test_the_preview_checks_every_line_and_saves_nothing(app, chef):
    response = _upload(chef, EXCEL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _states(html) == {2: "neu", 3: "neu", 4: "fehler", 5: "fehler", 6: "vorhanden", 7: "vorhanden"}
    assert "Weiß, Jörg" in html  # Windows-1252 from Excel read right
    assert "Nachname fehlt." in html and "„31.02.1950“ ist kein Datum (erwartet: TT.MM.JJJJ)." in html
    assert "Neu: 2 · schon vorhanden (bleiben unverändert): 2 · fehlerhaft (werden übersprungen): 2" in html
    assert "2 Teilnehmer importieren" in html
    assert _people(app) == 1


def test_confirming_saves_the_new_ones_and_a_second_import_adds_nobody(app, chef):
    content = re.search(r'name="inhalt" value="([^"]+)"', _upload(chef, EXCEL).get_data(as_text=True)).group(1)
    saved = chef.post(PAGE, data={"inhalt": content, "importieren": "ja"}, follow_redirects=True)
    assert "2 Teilnehmer importiert." in saved.get_data(as_text=True)
    assert _people(app) == 3
    with app.app_context():
        jorg = db.session.scalar(select(Participant).where(Participant.chip_id == "CHIP-1"))
        assert (jorg.first_name, jorg.last_name, jorg.birth_date.isoformat()) == ("Jörg", "Weiß", "1951-04-03")
    assert [e[4] for e in audit_entries(app, "participants.imported")] == [{"created": 2, "known": 2, "faulty": 2}]
    again = _upload(chef, EXCEL).get_data(as_text=True)
    assert set(_states(again).values()) == {"vorhanden", "fehler"}
    assert "Nichts zu importieren" in again
    assert _people(app) == 3


def test_a_name_typed_without_umlauts_is_the_same_person(app, world, chef):
    with app.app_context():
        f.participant(db.session.get(PracticeGroup, world.group_a), "Jürgen", "Müller", birth_date=date(1955, 3, 1))
        db.session.commit()
    html = _upload(chef, b"Nachname;Vorname;Geburtsdatum\r\nMUELLER;Juergen;01.03.1955\r\n").get_data(as_text=True)
    assert _states(html) == {2: "vorhanden"}


def test_a_chip_of_someone_else_is_an_error_of_that_line(app, world, chef):
    with app.app_context():
        f.participant(db.session.get(PracticeGroup, world.group_a), "Karl", "Kraus", chip_id="CHIP-9")
        db.session.commit()
    html = _upload(chef, b"Nachname,Vorname,Geburtsdatum,Chip\nNeu,Nina,02.02.1962,CHIP-9\n").get_data(
        as_text=True)
    assert _states(html) == {2: "fehler"} and "Der Chip CHIP-9 gehört schon Karl Kraus." in html


def test_twins_are_two_people_and_a_chip_twice_in_the_file_is_an_error(app, chef):
    content = (b"Nachname;Vorname;Geburtsdatum;Chip\n"
               b"Zwilling;Anna;02.02.2015;7777\nZwilling;Berta;02.02.2015;7777\nPohl;Paula;01.05.1950;\n")
    html = _upload(chef, content).get_data(as_text=True)
    assert _states(html) == {2: "neu", 3: "fehler", 4: "neu"}  # Paula is not Petra Pohl, born the same day
    assert "Der Chip 7777 steht schon in Zeile 2." in html


def test_excels_unicode_text_reads_right(app, chef):
    content = "Nachname\tVorname\tGeburtsdatum\r\nÖzdemir\tŞule\t01.01.1950\r\n".encode("utf-16")
    html = _upload(chef, content).get_data(as_text=True)
    assert _states(html) == {2: "neu"} and "Özdemir, Şule" in html


def test_excel_header_variants_are_understood(app, chef):
    content = b" Nachname ; Vorname ; Geb.-Datum ; Chip-Nr\nNeu;Nina;02.02.1962;C-1\n"
    assert _states(_upload(chef, content).get_data(as_text=True)) == {2: "neu"}


@pytest.mark.parametrize(("content", "message"), [
    (b"", "Die Datei ist leer."),
    (b"\xef\xbb\xbf", "Die Datei ist leer."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "Das ist keine CSV-Datei."),
    (b"Nachname;Vorname;Geburtsdatum\n" + b"x" * 140_000, "Die Datei ließ sich nicht als CSV lesen."),
    (b"Name;Strasse\nA;B\n", "In der ersten Zeile fehlen Spalten: Vorname, Geburtsdatum."),
    (b"x" * (600 * 1024), "Die Datei ist zu groß"),
])
def test_a_file_that_cannot_be_read_says_why(app, chef, content, message):
    """Including an image, a bare byte-order mark and a broken quote: a message, never a 500."""
    response = _upload(chef, content)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _people(app) == 1
