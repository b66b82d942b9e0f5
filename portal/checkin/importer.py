"""Course participants from a CSV file (the practice's existing list): read and checked line by
line, shown as a preview, and saved only when the person confirms. A line that names someone
already known (by chip, or by last name and date of birth) is left as it is, so repeating an
import creates no duplicates. Excel's German exports (semicolons, Windows-1252) read as well as
UTF-8 with commas."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from ..audit.services import record
from ..extensions import db
from ..i18n import N_, date_filter, translate
from ..timeutil import EARLIEST_DAY, today_berlin
from .models import Participant
from .records import create_participant
from .services import folded

MAX_BYTES = 512 * 1024
MAX_LINES = 2000
COLUMNS = {  # a header (case, spaces, dots, hyphens and underscores ignored) -> the field it fills
    "nachname": "last_name", "name": "last_name", "familienname": "last_name",
    "vorname": "first_name",
    "geburtsdatum": "birth_date", "gebdatum": "birth_date", "geboren": "birth_date", "geburtstag": "birth_date",
    "chip": "chip_id", "chipnummer": "chip_id", "chipnr": "chip_id", "chipid": "chip_id", "transponder": "chip_id",
}


def _header_key(cell: str) -> str:
    return re.sub(r"[\s.\-_]", "", cell.lower())
REQUIRED = ("last_name", "first_name", "birth_date")


class _Semicolons(csv.excel):
    delimiter = ";"


class ImportRefused(Exception):
    """The file as a whole cannot be read (not the lines in it)."""


@dataclass
class Line:
    number: int  # as the spreadsheet counts: the header is line 1
    first_name: str
    last_name: str
    birth_date: date | None
    chip_id: str
    problems: list[str] = field(default_factory=list)
    known: bool = False  # the person is there already (or earlier in this file): left as it is

    @property
    def new(self) -> bool:
        return not self.problems and not self.known


@dataclass
class Preview:
    lines: list[Line]

    @property
    def new(self) -> list[Line]:
        return [line for line in self.lines if line.new]

    @property
    def known(self) -> list[Line]:
        return [line for line in self.lines if line.known and not line.problems]

    @property
    def faulty(self) -> list[Line]:
        return [line for line in self.lines if line.problems]


def decode(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise ImportRefused(translate(N_("Die Datei ist zu groß (höchstens %(kb)s KB)."), kb=MAX_BYTES // 1024))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode-Text": UTF-16 with tabs
        text = raw.decode("utf-16", errors="replace")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    if not text.strip():
        raise ImportRefused(translate(N_("Die Datei ist leer.")))
    if "\x00" in text:  # an image, a PDF, a spreadsheet's own format
        raise ImportRefused(translate(N_("Das ist keine CSV-Datei. Bitte speichern Sie die Liste in Excel mit "
                                         "„Speichern unter“ als „CSV (Trennzeichen-getrennt)“.")))
    return text


def _day(text: str) -> date | None:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"):
        try:
            day = datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
        if pattern == "%d.%m.%y" and day > today_berlin():  # 01.02.45 is 1945, not 2045
            day = day.replace(year=day.year - 100)
        return day
    return None


def read(raw: bytes, group_id: int) -> Preview:
    """Every line of the file, checked; nothing is saved."""
    text = decode(raw)
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,\t")
    except csv.Error:
        dialect = _Semicolons
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise ImportRefused(translate(N_("Die Datei ließ sich nicht als CSV lesen. Bitte speichern Sie die Liste in "
                                         "Excel als „CSV (Trennzeichen-getrennt)“."))) from exc
    header = [COLUMNS.get(_header_key(cell)) for cell in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportRefused(translate(N_("In der ersten Zeile fehlen Spalten: %(names)s. Erwartet werden Nachname, "
                                         "Vorname, Geburtsdatum und (freiwillig) Chip."),
                                      names=", ".join(translate(_LABELS[name]) for name in missing)))
    if len(rows) - 1 > MAX_LINES:
        raise ImportRefused(translate(N_("Die Datei hat mehr als %(n)s Zeilen. Bitte teilen Sie sie auf."),
                                      n=MAX_LINES))
    lines, chips, people, known = [], {}, set(), _known(group_id)
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {name: row[i].strip() for i, name in enumerate(header) if name and i < len(row)}
        line = _check(number, values, known)
        person = (folded(line.last_name), folded(line.first_name), line.birth_date)
        if not line.problems:
            earlier = chips.get(line.chip_id) if line.chip_id else None
            if earlier is not None and earlier[1] != person:
                line.problems.append(translate(N_("Der Chip %(chip)s steht schon in Zeile %(line)s."),
                                               chip=line.chip_id, line=earlier[0]))
            elif person in people:
                line.known = True  # the same person twice in this file: the first line counts
            if line.chip_id and earlier is None:
                chips[line.chip_id] = (number, person)
            people.add(person)
        lines.append(line)
    return Preview(lines)


_LABELS = {"last_name": N_("Nachname"), "first_name": N_("Vorname"), "birth_date": N_("Geburtsdatum")}


def _check(number: int, values: dict, known: _Known) -> Line:
    line = Line(number, values.get("first_name", ""), values.get("last_name", ""), None, values.get("chip_id", ""))
    for name in ("last_name", "first_name"):
        if not values.get(name):
            line.problems.append(translate(N_("%(field)s fehlt."), field=translate(_LABELS[name])))
        elif len(values[name]) > 80:
            line.problems.append(translate(N_("%(field)s ist länger als 80 Zeichen."), field=translate(_LABELS[name])))
    if len(line.chip_id) > 64:
        line.problems.append(translate(N_("Der Chip ist länger als 64 Zeichen.")))
    raw_day = values.get("birth_date", "")
    line.birth_date = _day(raw_day) if raw_day else None
    if not raw_day:
        line.problems.append(translate(N_("Geburtsdatum fehlt.")))
    elif line.birth_date is None:
        line.problems.append(translate(N_("„%(value)s“ ist kein Datum (erwartet: TT.MM.JJJJ)."), value=raw_day))
    elif not EARLIEST_DAY <= line.birth_date <= today_berlin():
        line.problems.append(translate(N_("Das Geburtsdatum %(day)s liegt in der Zukunft oder zu weit zurück."),
                                       day=date_filter(line.birth_date)))
    if line.problems:
        return line
    by_chip = known.by_chip.get(line.chip_id) if line.chip_id else None
    by_person = known.by_person.get((folded(line.last_name), folded(line.first_name), line.birth_date))
    if by_chip is not None and by_chip is not by_person:
        line.problems.append(translate(N_("Der Chip %(chip)s gehört schon %(name)s."), chip=line.chip_id,
                                       name=f"{by_chip.first_name} {by_chip.last_name}"))
    elif by_person is not None:
        line.known = True  # twins share a last name and a birthday, not a first name: they are two
    return line


@dataclass
class _Known:
    """The group's participants, looked up once per file (not once per line)."""

    by_chip: dict
    by_person: dict


def _known(group_id: int) -> _Known:
    people = db.session.execute(select(Participant.first_name, Participant.last_name, Participant.birth_date,
                                       Participant.chip_id).where(Participant.group_id == group_id)).all()
    return _Known(by_chip={p.chip_id: p for p in people if p.chip_id},
                  by_person={(folded(p.last_name), folded(p.first_name), p.birth_date): p for p in people})


def save(preview: Preview, group_id: int, actor) -> int:
    """Create the new people of a checked preview; the caller commits. Returns how many."""
    for line in preview.new:
        create_participant(group_id, line.first_name, line.last_name, line.birth_date, line.chip_id or None, actor)
    record("participants.imported", group_id=group_id, actor=actor,
           details={"created": len(preview.new), "known": len(preview.known), "faulty": len(preview.faulty)})
    return len(preview.new)
