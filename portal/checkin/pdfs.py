"""Billing proof as PDF for A4 paper: a prescription's "Teilnahmenachweis" (every unit with date,
course, time and the participant's signature, and the units left) and a course group's monthly
attendance list. fpdf2 writes them in pure Python with Noto Sans embedded (portal/fonts, SIL OFL,
a subset per document), so every name in a Latin, Greek or Cyrillic script prints as written
("Łukasz", "Çağlayan", "Nguyễn"); a character the font lacks prints as "?"."""

from __future__ import annotations

import base64
import io
import unicodedata
from datetime import date, datetime
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from PIL import Image

from ..i18n import N_, date_filter, month_name_filter, time_filter, translate
from ..schedule.models import Course, CourseKind
from ..tenancy import Practice
from ..timeutil import BERLIN, utcnow
from .models import Attendance, Participant, Prescription

NBSP = "\u00a0"
FONT = "NotoSans"
FONT_DIR = Path(__file__).resolve().parents[1] / "fonts"
FONT_FILES = {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf", "I": "NotoSans-Italic.ttf"}
MARGIN = 15
ROW = 14  # mm per unit row: room for a signature
SMALLEST = 6.5  # pt: a table's text is set down to this size before it leaves its column
PAD = 1  # mm between a signature and its cell's border
INK = 60  # of 255: how dark a pixel must be to count as ink when a signature is cropped


@cache
def _font_characters() -> frozenset[int]:
    """The characters every style of the font has a glyph for (read once per process)."""
    found = None
    for name in FONT_FILES.values():
        with TTFont(FONT_DIR / name, lazy=True) as font:
            characters = frozenset(font.getBestCmap())
        found = characters if found is None else found & characters
    return found


def printable(text: str) -> str:
    """The text as the PDF writes it: composed (a name typed on a Mac arrives decomposed, "e" plus
    accents, which a PDF would print side by side), a character the font lacks as "?"."""
    if not text:
        return ""
    known = _font_characters()
    return "".join(char if ord(char) in known or char in "\n\t" else "?"
                   for char in unicodedata.normalize("NFC", text))


class _Document(FPDF):
    def __init__(self, group_name: str, title: str) -> None:
        super().__init__(format="A4", unit="mm")
        self.group_name, self.title_text = group_name, title
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN + 6)
        self.set_title(printable(title))
        self.set_creator("Therapeuten-App-Portal")
        self.alias_nb_pages()
        self.add_page()

    def set_font(self, family: str | None = None, style: str = "", size: float = 0) -> None:
        """Text in the embedded font, each style added when first used (a style not used is not embedded)."""
        if family == FONT and FONT.lower() + style not in self.fonts:
            self.add_font(FONT, style, FONT_DIR / FONT_FILES[style])
        super().set_font(family, style, size)

    def header(self) -> None:
        self.set_font(FONT, "B", 15)
        self.cell(0, 8, printable(self.title_text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 10)
        self.cell(0, 6, printable(self.group_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.set_font(FONT, "", 8)
        created = translate(N_("Erstellt am %(date)s"), date=date_filter(utcnow()))
        page = translate(N_("Seite %(page)s von %(pages)s"), page=self.page_no(), pages="{nb}")
        self.cell(0, 5, printable(created), align="L")
        self.set_x(MARGIN)
        self.cell(0, 5, printable(page), align="R")

    def facts(self, rows: list[tuple[str, str]]) -> None:
        for label, value in rows:
            self.set_font(FONT, "B", 10)
            self.cell(48, 6, printable(label))
            self.set_font(FONT, "", 10)
            self.multi_cell(0, 6, printable(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def table_head(self, columns: list[tuple[str, float]]) -> None:
        self.set_font(FONT, "B", 9)
        self.set_fill_color(235, 238, 242)
        for label, width in columns:
            size = self.font_size_pt
            while size > SMALLEST and self.get_string_width(printable(label)) > width - 2 * self.c_margin:
                size -= 0.5
                self.set_font_size(size)
            self.cell(width, 7, printable(label), border=1, fill=True)
            self.set_font_size(9)
        self.ln()
        self.set_font(FONT, "", 9)

    def boxed(self, width: float, text: str) -> None:
        """One cell of a unit row: the text wrapped onto as many lines as the row holds, set smaller
        only when even that is not enough, so a long name or payer stays in its column, whole."""
        text, size, x, y = printable(text), self.font_size_pt, self.get_x(), self.get_y()
        while True:
            lines = self.multi_cell(width, 1, text, dry_run=True, output=MethodReturnValue.LINES)
            height = self.font_size * 1.25
            if len(lines) * height <= ROW - 1 or size <= SMALLEST:
                break
            size -= 0.5
            self.set_font_size(size)
        self.rect(x, y, width, ROW)
        top = y + max(0.5, (ROW - len(lines) * height) / 2)
        for n, line in enumerate(lines):
            self.set_xy(x, top + n * height)
            self.cell(width, height, line)
        self.set_xy(x + width, y)
        self.set_font_size(9)

    def row(self, columns: list[tuple[str, float]], values: list[str], signature: bytes | None) -> None:
        if self.will_page_break(ROW):
            self.add_page()
            self.table_head(columns)
        y = self.get_y()
        for (_label, width), value in zip(columns[:-1], values, strict=True):
            self.boxed(width, value)
        x = self.get_x()
        self.cell(columns[-1][1], ROW, "", border=1)
        self.signature(signature, x + PAD, y + PAD, columns[-1][1] - 2 * PAD)
        self.ln()

    def signature(self, png: bytes | None, x: float, y: float, width: float) -> None:
        """The signature as large as its cell allows, cropped to its ink and centred."""
        try:
            self.image(io.BytesIO(ink_only(png or b"")), x=x, y=y, w=width, h=ROW - 2 * PAD, keep_aspect_ratio=True)
        except Exception:  # noqa: BLE001 - an unreadable image is said so, the proof still prints
            self.set_xy(x, y + 3)
            self.set_font(FONT, "I", 8)
            self.cell(width, 5, printable(translate(N_("Unterschrift nicht lesbar"))))
            self.set_font(FONT, "", 9)


def ink_only(png: bytes) -> bytes:
    """The signature pad's PNG cropped to its strokes: the pad leaves wide white (or transparent)
    margins, which would shrink the name to a scribble in a table row. A blank pad stays as it is."""
    with Image.open(io.BytesIO(png)) as image:
        flat = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA")).convert("L")
    box = flat.point(lambda value: 255 if value < 255 - INK else 0).getbbox()
    if box is None:
        return png
    margin = max(2, (box[3] - box[1]) // 20)
    left, top, right, bottom = box
    out = io.BytesIO()
    flat.crop((max(0, left - margin), max(0, top - margin), min(flat.width, right + margin),
               min(flat.height, bottom + margin))).save(out, "PNG")
    return out.getvalue()


def _birth(person: Participant) -> str:
    return date_filter(person.birth_date)


def _practice(practice: Practice) -> str:
    """The provider as a payer looks for it: name, address and IK, as far as the practice entered them."""
    ik = translate(N_("IK %(ik)s"), ik=practice.ik).replace(" ", NBSP) if practice.ik else ""  # kept on one line
    return ", ".join(part for part in (practice.name, practice.address, ik) if part)


def _practices(attendances: list[Attendance]) -> list[tuple[str, str]]:
    """The fact rows naming where the units took place (in the order of the first unit in each),
    a row for each practice."""
    practices = list(dict.fromkeys(attendance.session.course.practice for attendance in attendances))
    label = translate(N_("Praxis")) if len(practices) == 1 else translate(N_("Praxen"))
    return [(label if n == 0 else "", _practice(practice)) for n, practice in enumerate(practices)]


def _payer_details(prescription: Prescription) -> list[tuple[str, str]]:
    """The rows of what the payer's proof asks for, those the practice entered."""
    rows = [(N_("Versichertennummer"), prescription.insurance_number),
            (N_("Verordnungsdatum"), date_filter(prescription.prescribed_on)),
            (N_("Genehmigungsdatum"), date_filter(prescription.approved_on)),
            (N_("Genehmigungsnummer"), prescription.approval_number)]
    return [(translate(label), value) for label, value in rows if value]


def participation_proof(prescription: Prescription, attendances: list[Attendance], group_name: str,
                        remaining: int) -> bytes:
    """The "Teilnahmenachweis" of one prescription."""
    person = prescription.participant
    doc = _Document(group_name, translate(N_("Teilnahmenachweis")))
    valid = prescription.expires_on()
    doc.facts([
        *_practices(attendances),
        (translate(N_("Teilnehmer")), f"{person.last_name}, {person.first_name}"),
        (translate(N_("Geburtsdatum")), _birth(person)),
        (translate(N_("Verordnung")), f"{prescription.kind.label}, "
                                      + translate(N_("%(units)s Einheiten"), units=prescription.units_approved)),
        (translate(N_("Kostenträger")), prescription.payer or "-"),
        *_payer_details(prescription),
        (translate(N_("Gültig bis")), date_filter(valid) if valid else translate(
            N_("%(n)s Monate ab der ersten Teilnahme"), n=prescription.valid_months)),
    ])
    columns = [(translate(N_("Nr.")), 12), (translate(N_("Datum")), 26), (translate(N_("Kurs")), 62),
               (translate(N_("Uhrzeit")), 20), (translate(N_("Unterschrift")), 60)]
    doc.table_head(columns)
    for number, attendance in enumerate(attendances, start=1):
        session = attendance.session
        doc.row(columns, [str(number), date_filter(session.day), session.course.name, time_filter(session.start_time)],
                attendance.signature_png)
    if not attendances:
        doc.cell(0, 8, printable(translate(N_("Noch keine Teilnahme."))), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(4)
    doc.set_font(FONT, "B", 10)
    doc.cell(0, 6, printable(translate(N_("Teilgenommen: %(used)s von %(units)s Einheiten, verbleibend: %(left)s"),
                                    used=len(attendances), units=prescription.units_approved, left=remaining)),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(doc.output())


def monthly_list(course: Course, month: date, attendances: list[Attendance], group_name: str) -> bytes:
    """The attendance list of a course group for one month."""
    title = translate(N_("Anwesenheitsliste %(course)s, %(month)s"), course=course.name,
                      month=month_name_filter(month))
    doc = _Document(group_name, title)
    doc.facts([(translate(N_("Praxis")), _practice(course.practice))])
    columns = [(translate(N_("Datum")), 22), (translate(N_("Uhrzeit")), 16), (translate(N_("Teilnehmer")), 48),
               (translate(N_("Geburtsdatum")), 24), (translate(N_("Kostenträger")), 30),
               (translate(N_("Unterschrift")), 40)]
    doc.table_head(columns)
    for attendance in attendances:
        person, session = attendance.participant, attendance.session
        doc.row(columns, [date_filter(session.day), time_filter(session.start_time),
                          f"{person.last_name}, {person.first_name}" + (" (S)" if attendance.springer else ""),
                          _birth(person), attendance.prescription.payer or "-"], attendance.signature_png)
    if not attendances:
        doc.cell(0, 8, printable(translate(N_("In diesem Monat hat niemand teilgenommen."))),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    elif any(a.springer for a in attendances):
        doc.ln(2)
        doc.set_font(FONT, "", 8)
        doc.cell(0, 5, printable(translate(N_("(S) = Springer: Teilnahme in einer anderen als der eigenen Gruppe"))))
    return bytes(doc.output())


def data_export(data: dict, group_name: str) -> bytes:
    """The "Datenauskunft" (DSGVO Art. 15) of a participant as a printable document."""
    person = data["participant"]
    doc = _Document(group_name, translate(N_("Datenauskunft")))
    restricted = [(translate(N_("Verarbeitung")), translate(N_("eingeschränkt seit %(day)s (Art. 18 DSGVO)"),
                                                            day=date_filter(datetime.fromisoformat(
                                                                person["restricted_at"]).date())))
                  ] if person.get("restricted_at") else []
    doc.facts([
        (translate(N_("Teilnehmer")), f"{person['last_name']}, {person['first_name']}"),
        (translate(N_("Geburtsdatum")), date_filter(date.fromisoformat(person["birth_date"]))),
        (translate(N_("Chip")), person["chip_id"] or "-"),
        *restricted,
        (translate(N_("Kursgruppen")), ", ".join(c["name"] for c in data["course_groups"]) or "-"),
        (translate(N_("Aufbewahrt bis")), date_filter(date.fromisoformat(data["kept_until"]))
         if data["kept_until"] else translate(N_("keine Aufbewahrungspflicht"))),
    ])
    for p in data["prescriptions"]:
        valid = (f", {translate(N_('Gültig bis'))} {date_filter(date.fromisoformat(p['expires_on']))}"
                 if p["expires_on"] else "")
        doc.facts([(translate(N_("Verordnung")), f"{CourseKind(p['kind']).label}, "
                    + translate(N_("%(units)s Einheiten"), units=p["units_approved"])
                    + f", {translate(N_('Kostenträger'))}: {p['payer'] or '-'}{valid}"
                    + "".join(f", {translate(label)}: {p[key]}" for key, label in (
                        ("insurance_number", N_("Versichertennummer")), ("approval_number", N_("Genehmigungsnummer")))
                        if p.get(key)))])
    columns = [(translate(N_("Datum")), 26), (translate(N_("Kurs")), 62), (translate(N_("Uhrzeit")), 20),
               (translate(N_("Hinweis")), 32), (translate(N_("Unterschrift")), 40)]
    doc.table_head(columns)
    for a in data["attendances"]:
        note = (translate(N_("Storniert: %(reason)s"), reason=a["cancel_reason"]) if a["cancelled_at"]
                else a["reason"] or "")
        doc.row(columns, [date_filter(date.fromisoformat(a["day"])), a["course"], a["time"], note],
                base64.b64decode(a["signature_png_base64"]) if a["signature_png_base64"] else None)
    if not data["attendances"]:
        doc.cell(0, 8, printable(translate(N_("Noch keine Teilnahme."))), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if data["offline_check_ins"]:
        doc.ln(4)
        doc.cell(0, 6, printable(translate(N_("Check-ins eines Terminals ohne Verbindung"))), new_x=XPos.LMARGIN,
                 new_y=YPos.NEXT)
        signed = [(translate(N_("Unterschrieben")), 20) if n == 2 else column for n, column in enumerate(columns)]
        doc.table_head(signed)
        for o in data["offline_check_ins"]:
            doc.row(signed, [date_filter(date.fromisoformat(o["day"])), o["course"],
                             datetime.fromisoformat(o["signed_at"]).astimezone(BERLIN).strftime("%H:%M"),
                             o["message"] or ""],
                    base64.b64decode(o["signature_png_base64"]) if o["signature_png_base64"] else None)
    information = data["information"]
    doc.ln(4)
    doc.set_font(FONT, "B", 11)
    doc.cell(0, 7, printable(translate(N_("Angaben nach Art. 15 DSGVO"))), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.facts([(translate(N_("Zwecke")), information["purposes"]),
               (translate(N_("Empfänger")), information["recipients"]),
               (translate(N_("Speicherdauer")), information["storage"]),
               (translate(N_("Herkunft")), information["origin"]),
               (translate(N_("Ihre Rechte")), information["rights"])])
    return bytes(doc.output())
