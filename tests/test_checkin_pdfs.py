"""Billing proof as PDF: read back as text (pypdf, and poppler's pdftotext for names in any
Latin script), with the signatures as images, A4."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import unicodedata
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from portal.checkin import pdfs
from portal.checkin.models import Participant
from portal.checkin.services import check_in
from portal.extensions import db
from portal.models import Course, PracticeGroup

from . import factories as f
from .helpers import signed_in

MONDAY = date(2026, 11, 2)
A4 = (595, 842)  # points, rounded
IK = "590512349"  # nine digits, the last the check digit


def signature_png(seed: int) -> bytes:
    """A real PNG as the terminal's signature pad sends it: strokes on white."""
    image = Image.new("RGB", (300, 100), "white")
    ImageDraw.Draw(image).line([(10, 80), (80 + seed, 20), (150, 70), (290, 30 + seed)], fill="black", width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def signed_units(app, world):
    """Jörg Weiß, 10 units on his prescription, took part in "Rücken fit" on four Mondays."""
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        practice = g.practices[0]
        practice.street, practice.postcode, practice.city, practice.ik = "Hohe Straße 12", "50667", "Köln", IK
        course = f.course(g, practice, name="Rücken fit", weekday=0, start=time(9, 30))
        person = f.participant(g, "Jörg", "Weiß", units=10, member_of=course, payer="AOK Rheinland")
        db.session.commit()
        for week in range(4):
            check_in(db.session.get(Participant, person.id), db.session.get(Course, course.id),
                     MONDAY + timedelta(weeks=week), signature_png(week))
            db.session.commit()
        return {"participant": person.id, "prescription": person.prescriptions[0].id, "course": course.id}


def _read(response) -> tuple[str, PdfReader]:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def test_the_teilnahmenachweis_lists_every_unit_with_its_signature(app, world, signed_units):
    chef = signed_in(app, world.chef_a)
    page = chef.get(f"/kurse/teilnehmer/{signed_units['participant']}").get_data(as_text=True)
    url = f"/kurse/verordnungen/{signed_units['prescription']}/teilnahmenachweis.pdf"
    assert url in page and "Teilnahmenachweis (PDF)" in page
    text, reader = _read(chef.get(url))
    assert "Teilnahmenachweis" in text and "Weiß, Jörg" in text and "01.05.1950" in text
    assert "AOK Rheinland" in text and "Rehasport, 10 Einheiten" in text
    assert "Hohe Straße 12, 50667 Köln, IK 590512349" in text  # the provider, as the payer needs it
    for week in range(4):
        assert f"{MONDAY + timedelta(weeks=week):%d.%m.%Y}" in text
    assert text.count("Rücken fit") == 4 and "09:30" in text
    assert "Teilgenommen: 4 von 10 Einheiten, verbleibend: 6" in text
    assert sum(len(page.images) for page in reader.pages) == 4  # the four signatures
    width, height = (round(float(v)) for v in reader.pages[0].mediabox[2:])
    assert (width, height) == A4


def test_the_monthly_list_prints_as_pdf(app, world, signed_units):
    chef = signed_in(app, world.chef_a)
    html = chef.get(f"/kurse/{signed_units['course']}/anwesenheit?monat=2026-11").get_data(as_text=True)
    url = f"/kurse/{signed_units['course']}/anwesenheit.pdf?monat=2026-11"
    assert f"/kurse/{signed_units['course']}/anwesenheit.pdf?monat=2026-11" in html
    text, reader = _read(chef.get(url))
    assert "Anwesenheitsliste Rücken fit, November 2026" in text
    assert "Hohe Straße 12, 50667 Köln, IK 590512349" in text
    assert text.count("Weiß, Jörg") == 4 and "AOK Rheinland" in text
    assert sum(len(page.images) for page in reader.pages) == 4
    empty, _reader = _read(chef.get(f"/kurse/{signed_units['course']}/anwesenheit.pdf?monat=2026-10"))
    assert "In diesem Monat hat niemand teilgenommen." in empty


def test_units_in_two_practices_name_both_on_the_proof(app, world):
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        home, other = g.practices[0], f.practice(g, "Physiotherapie-Zentrum an der Oper", city="Bonn")
        other.street, other.postcode, other.ik = "Konrad-Adenauer-Platz 1a", "53111", IK
        course = f.course(g, home, name="Rücken fit", weekday=0, start=time(9, 30))
        springer = f.course(g, other, name="Wirbelsäule", weekday=0, start=time(17))
        person = f.participant(g, "Jörg", "Weiß", units=10, member_of=course)
        db.session.commit()
        f.attendance(course.id, person.id, day=MONDAY, signature_png=signature_png(1))
        f.attendance(springer.id, person.id, day=MONDAY + timedelta(weeks=1), signature_png=signature_png(2))
        db.session.commit()
        prescription_id, home_name = person.prescriptions[0].id, home.name
    url = f"/kurse/verordnungen/{prescription_id}/teilnahmenachweis.pdf"
    text, _reader = _read(signed_in(app, world.chef_a).get(url))
    assert "Praxen" in text and home_name in text and "Physiotherapie-Zentrum an der Oper" in text
    assert "IK 590512349" in text.replace("\u00a0", " ")  # a long line wraps, never between "IK" and the number


def test_fifty_units_run_onto_a_second_page_with_the_header_again(app, world):
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        course = f.course(g, g.practices[0], name="Herzsport", weekday=0, start=time(18))
        person = f.participant(g, "Łukasz", "Nowak", units=60, member_of=course)
        db.session.commit()
        for n in range(50):  # each signature differs, as real ones do (equal images are stored once)
            f.attendance(course.id, person.id, day=MONDAY + timedelta(days=n), signature_png=signature_png(n))
        db.session.commit()
        prescription_id = person.prescriptions[0].id
    url = f"/kurse/verordnungen/{prescription_id}/teilnahmenachweis.pdf"
    text, reader = _read(signed_in(app, world.chef_a).get(url))
    assert len(reader.pages) >= 2 and "Seite 2 von" in text
    assert "Nowak, Łukasz" in text
    assert "Teilgenommen: 50 von 60 Einheiten, verbleibend: 10" in text
    assert sum(len(page.images) for page in reader.pages) == 50


def test_an_unreadable_signature_is_named_and_the_proof_still_prints(app, world):
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        course = f.course(g, g.practices[0])
        person = f.participant(g, member_of=course)
        f.attendance(course.id, person.id, day=MONDAY)  # the factory's signature is no real PNG
        db.session.commit()
        prescription_id = person.prescriptions[0].id
    text, _reader = _read(signed_in(app, world.chef_a).get(
        f"/kurse/verordnungen/{prescription_id}/teilnahmenachweis.pdf"))
    assert "Unterschrift nicht lesbar" in text


def test_another_groups_prescription_is_not_found(app, world, signed_units):
    other = signed_in(app, world.chef_b)
    assert other.get(f"/kurse/verordnungen/{signed_units['prescription']}/teilnahmenachweis.pdf").status_code == 404
    assert other.get(f"/kurse/{signed_units['course']}/anwesenheit.pdf").status_code == 404


NAMES = [  # (first name, last name, payer) as a practice types them
    ("Łukasz", "Wałęsa-Żółkiewski", "Kasa Chorych Śląsk"),  # Polish
    ("Şükrü", "Çağlayan-Öztürk", "İstanbul Sigorta, Iğdır"),  # Turkish: ğ, ı, İ, ş
    ("Nguyễn Thị", "Hồng Phượng", "Bảo hiểm Đà Nẵng"),  # Vietnamese: stacked accents, Đ
]


def _pdftotext(data: bytes) -> str:
    binary = shutil.which("pdftotext")
    if binary is None:
        pytest.fail("pdftotext fehlt (poppler-utils): bin/test installiert es als root mit apt-get.")
    result = subprocess.run([binary, "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, timeout=60,
                            check=True)
    return unicodedata.normalize("NFC", result.stdout.decode())


def test_every_name_prints_as_written_in_every_pdf(app, world):
    """Polish, Turkish and Vietnamese names, typed composed or decomposed, come back letter for
    letter from the proof, the monthly list and the Datenauskunft (an embedded Unicode font)."""
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        course = f.course(g, g.practices[0], name="Rücken fit – Ünal & Đức", weekday=0, start=time(9, 30))
        people, course_id = [], course.id
        for n, (first, last, payer) in enumerate(NAMES):
            typed = unicodedata.normalize("NFD" if n == 2 else "NFC", last)  # a Mac keyboard sends NFD
            person = f.participant(g, first, typed, units=10, member_of=course, payer=payer)
            db.session.commit()
            check_in(person, course, MONDAY, signature_png(n))
            people.append((person.id, person.prescriptions[0].id))
        db.session.commit()
    chef = signed_in(app, world.chef_a)
    monthly = _pdftotext(chef.get(f"/kurse/{course_id}/anwesenheit.pdf?monat=2026-11").data)
    assert "Rücken fit – Ünal & Đức" in monthly
    for (person_id, prescription_id), (first, last, payer) in zip(people, NAMES, strict=True):
        proof = _pdftotext(chef.get(f"/kurse/verordnungen/{prescription_id}/teilnahmenachweis.pdf").data)
        assert f"{last}, {first}" in proof and payer in proof
        assert f"{last}, {first}" in " ".join(monthly.split())
        export = chef.post(f"/kurse/teilnehmer/{person_id}/datenauskunft", data={"format": "pdf"})
        assert f"{last}, {first}" in _pdftotext(export.data)


def test_the_vendored_font_is_the_one_checked_with_its_licence():
    fonts = Path(__file__).resolve().parents[1] / "portal/fonts"
    sums = dict(line.split()[::-1] for line in (fonts / "SHA256SUMS").read_text().splitlines())
    assert sorted(sums) == sorted(path.name for path in fonts.glob("*.ttf")) and len(sums) == 3
    for name, digest in sums.items():
        assert hashlib.sha256((fonts / name).read_bytes()).hexdigest() == digest, name
    assert "SIL Open Font License" in (fonts / "OFL.txt").read_text()
    assert pdfs.printable("李 Ł\u0301") == "? Ł\u0301"  # what the font lacks is marked, never dropped silently


PLACED = re.compile(rb"([\d.]+) 0 0 ([\d.]+) [\d.]+ [\d.]+ cm /(I\w+) Do")
MM = 72 / 25.4  # points per millimetre


def pad_signature(seed: int) -> bytes:
    """A signature as the pad really sends it: a few strokes in the middle of a wide white canvas."""
    image = Image.new("RGB", (900, 260), "white")
    ImageDraw.Draw(image).line([(330, 160), (400 + seed, 95), (470, 170), (560, 100 + seed)], fill="#10243e",
                               width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _ink_sizes(reader) -> list[tuple[float, float]]:
    """Each signature's ink as printed, in millimetres (width, height): the placed image times the
    share of it that is ink."""
    sizes = []
    for page in reader.pages:
        images = {image.name.rsplit(".", 1)[0]: image.image.convert("L") for image in page.images}
        for width, height, name in PLACED.findall(page.get_contents().get_data()):
            image = images[name.decode()]
            left, top, right, bottom = image.point(lambda v: 255 if v < 195 else 0).getbbox()
            sizes.append((float(width) / MM * (right - left) / image.width,
                          float(height) / MM * (bottom - top) / image.height))
    return sizes


def _three_units(app, world) -> tuple[int, int]:
    """Jörg Weiß signed three Mondays on the pad; Ute Urban's prescription has no payer details."""
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        course = f.course(g, g.practices[0], name="Rücken fit", weekday=0, start=time(9, 30))
        person = f.participant(g, "Jörg", "Weiß", units=10, member_of=course)
        other = f.participant(g, "Ute", "Urban", units=10, member_of=course)
        db.session.commit()
        for week in range(3):
            f.attendance(course.id, person.id, day=MONDAY + timedelta(weeks=week), signature_png=pad_signature(week))
        db.session.commit()
        return person.prescriptions[0].id, other.prescriptions[0].id


def test_the_proof_prints_the_payers_details_when_given(app, world):
    """Issue 24, item 14: Verordnungsdatum, Genehmigung and Versichertennummer on the proof."""
    prescription_id, plain_id = _three_units(app, world)
    chef = signed_in(app, world.chef_a)
    saved = chef.post(f"/kurse/verordnungen/{prescription_id}/bearbeiten", data={
        "units_approved": "10", "valid_months": "18", "payer": "AOK Rheinland", "insurance_number": "A123456789",
        "prescribed_on": "2026-10-01", "approved_on": "2026-10-08", "approval_number": "G-2026-0042"})
    assert saved.status_code == 302
    text, _reader = _read(chef.get(f"/kurse/verordnungen/{prescription_id}/teilnahmenachweis.pdf"))
    for line in ("Versichertennummer A123456789", "Verordnungsdatum 01.10.2026", "Genehmigungsdatum 08.10.2026",
                 "Genehmigungsnummer G-2026-0042"):
        assert line in text, line
    plain, _reader = _read(chef.get(f"/kurse/verordnungen/{plain_id}/teilnahmenachweis.pdf"))
    assert "Versichertennummer" not in plain and "Genehmigung" not in plain  # nothing given, nothing printed
    backwards = chef.post(f"/kurse/verordnungen/{prescription_id}/bearbeiten", data={
        "units_approved": "10", "valid_months": "18", "prescribed_on": "2026-10-08", "approved_on": "2026-10-01"})
    assert backwards.status_code == 422 and "Die Genehmigung kann nicht vor der Verordnung liegen." in \
        backwards.get_data(as_text=True)


def test_each_signature_fills_its_cell_legibly(app, world):
    """Issue 24, item 14: the signature, not a scribble in a corner of its cell."""
    prescription_id, _plain_id = _three_units(app, world)
    chef = signed_in(app, world.chef_a)
    _text, reader = _read(chef.get(f"/kurse/verordnungen/{prescription_id}/teilnahmenachweis.pdf"))
    sizes = _ink_sizes(reader)
    assert len(sizes) == 3
    for width, height in sizes:  # the cell is 60 x 14 mm: the ink reaches its height or its width
        assert height >= 10 or width >= 50, (width, height)
