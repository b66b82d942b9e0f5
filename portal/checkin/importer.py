"""Course participants from a CSV file (the practice's existing list): read and checked line by
line, shown as a preview, and saved only when the person confirms. A line that names someone
already known (by chip, or by last name and date of birth) is left as it is, so repeating an
import creates no duplicates. Excel's German exports (semicolons, Windows-1252) read as well as
UTF-8 with commas."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from ..audit.services import record
from ..i18n import N_, date_filter, translate
from ..timeutil import EARLIEST_DAY, today_berlin
from .services import _folded, create_participant, find_participant

MAX_BYTES = 512 * 1024
MAX_LINES = 2000
COLUMNS = {  # a header (case and spaces ignored) -> the field it fills
    "nachname": "last_name", "name": "last_name", "familienname": "last_name",
    "vorname": "first_name",
    "geburtsdatum": "birth_date", "geb.datum": "birth_date", "geboren": "birth_date", "geburtstag": "birth_date",
    "chip": "chip_id", "chipnummer": "chip_id", "chip-nr.": "chip_id", "chip-id": "chip_id", "transponder": "chip_id",
}
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
    if not raw.strip():
        raise ImportRefused(translate(N_("Die Datei ist leer.")))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


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
    rows = list(csv.reader(io.StringIO(text), dialect))
    header = [COLUMNS.get(cell.strip().lower()) for cell in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportRefused(translate(N_("In der ersten Zeile fehlen Spalten: %(names)s. Erwartet werden Nachname, "
                                         "Vorname, Geburtsdatum und (freiwillig) Chip."),
                                      names=", ".join(translate(_LABELS[name]) for name in missing)))
    if len(rows) - 1 > MAX_LINES:
        raise ImportRefused(translate(N_("Die Datei hat mehr als %(n)s Zeilen. Bitte teilen Sie sie auf."),
                                      n=MAX_LINES))
    lines, seen_chips, seen_people = [], set(), set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {name: row[i].strip() for i, name in enumerate(header) if name and i < len(row)}
        line = _check(number, values, group_id)
        person_key = (_folded(line.last_name), line.birth_date)
        if not line.problems and ((line.chip_id and line.chip_id in seen_chips) or person_key in seen_people):
            line.known = True  # twice in this file: the first one counts
        seen_chips.add(line.chip_id)
        seen_people.add(person_key)
        lines.append(line)
    return Preview(lines)


_LABELS = {"last_name": N_("Nachname"), "first_name": N_("Vorname"), "birth_date": N_("Geburtsdatum")}


def _check(number: int, values: dict, group_id: int) -> Line:
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
    by_chip = find_participant(group_id, chip=line.chip_id) if line.chip_id else None
    by_name = find_participant(group_id, last_name=line.last_name, birth_date=line.birth_date)
    if by_chip is not None and (by_name is None or by_name.id != by_chip.id):
        line.problems.append(translate(N_("Der Chip %(chip)s gehört schon %(name)s."), chip=line.chip_id,
                                       name=by_chip.full_name))
    elif by_name is not None:
        line.known = True
    return line


def save(preview: Preview, group_id: int, actor) -> int:
    """Create the new people of a checked preview; the caller commits. Returns how many."""
    for line in preview.new:
        create_participant(group_id, line.first_name, line.last_name, line.birth_date, line.chip_id or None, actor)
    record("participants.imported", group_id=group_id, actor=actor,
           details={"created": len(preview.new), "known": len(preview.known), "faulty": len(preview.faulty)})
    return len(preview.new)
