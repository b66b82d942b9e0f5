"""The check-in terminal on a tablet: pair, check in by chip, sign, see the remaining units; a Springer."""

import re

from playwright.sync_api import expect

from portal.checkin.models import Attendance
from portal.extensions import db

from .. import factories as f
from .conftest import serious_accessibility_violations, sign_in


def sign_on_the_pad(page, pad=None):
    pad = pad or page.locator("#signature-pad")
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 120)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 40 + step * 40, box["y"] + 120 + (25 if step % 2 else -25))
    page.mouse.up()


def test_pair_check_in_by_chip_sign_and_a_springer(page, live_server, world, app):
    with app.app_context():
        f.course_day(world.group_a, world.practice_a1)

    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.goto(f"{live_server}/kurse/terminals")
    page.get_by_label("Name des Terminals").fill("Tresen")
    page.get_by_label("Kennung (z. B. Inventarnummer)").fill("TAB-01")
    page.get_by_role("button", name="Terminal hinzufügen").click()
    code = page.locator("#pairing-code").inner_text()
    expect(page.get_by_role("img", name="QR-Code zum Koppeln des Terminals")).to_be_visible()

    tablet = page.context.browser.new_context(viewport={"width": 1024, "height": 768}, locale="de-DE",
                                              has_touch=True, bypass_csp=True)
    terminal = tablet.new_page()
    terminal.goto(f"{live_server}/terminal")
    terminal.get_by_label("Kopplungscode").fill(code)
    terminal.get_by_role("button", name="Koppeln").click()
    expect(terminal.get_by_role("heading", name="Heutige Kurse")).to_be_visible()
    assert serious_accessibility_violations(terminal) == []

    terminal.get_by_role("button", name=re.compile("Rücken fit")).click()
    chip = terminal.get_by_label("Chip")
    expect(chip).to_be_focused()
    chip.type("4711\n")  # a reader types like a keyboard and ends with Enter
    expect(terminal.get_by_role("heading", name="Hallo Petra P.")).to_be_visible()
    assert serious_accessibility_violations(terminal) == []
    sign_on_the_pad(terminal)
    terminal.get_by_role("button", name="Einchecken").click()
    expect(terminal.get_by_role("heading", name="Danke, Petra P.!")).to_be_visible()
    expect(terminal.locator(".remaining")).to_contain_text("Noch 49 Einheiten")

    terminal.get_by_role("link", name="Übersicht").click()
    terminal.get_by_role("button", name=re.compile("Herzsport")).click()
    terminal.get_by_label("Chip").type("4711\n")
    reason = terminal.get_by_label("Grund für die Teilnahme als Springer")
    expect(reason).to_be_visible()
    reason.fill("Eigener Kurs fällt aus")
    sign_on_the_pad(terminal)
    terminal.get_by_role("button", name="Einchecken").click()
    expect(terminal.locator(".notice.success")).to_contain_text("als Springer")
    expect(terminal.locator(".remaining")).to_contain_text("Noch 48 Einheiten")
    tablet.close()
    with app.app_context():
        attendances = db.session.scalars(db.select(Attendance).order_by(Attendance.id)).all()
        assert [a.springer for a in attendances] == [False, True]
        assert attendances[1].springer_reason == "Eigener Kurs fällt aus"
        assert all(a.signature_png.startswith(b"\x89PNG") and len(a.signature_png) > 500 for a in attendances)


def test_manual_check_in_in_the_portal_with_two_sessions_on_the_page(page, live_server, world, app):
    with app.app_context():
        ids = f.course_day(world.group_a, world.practice_a1)
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.goto(f"{live_server}/kurse/heute")
    heart = page.locator("article", has_text="Herzsport")
    heart.get_by_text("Im Portal einchecken").click()
    heart.get_by_label("Person").select_option(str(ids["petra"]))
    heart.get_by_label("Grund für die Teilnahme als Springer").fill("Vertretung")
    sign_on_the_pad(page, heart.locator("canvas.signature-pad"))
    heart.get_by_role("button", name="Einchecken").click()
    expect(page.locator(".notice.success")).to_contain_text("Petra Pohl ist eingecheckt; noch 49 Einheiten.")
    expect(page.locator("article", has_text="Herzsport")).to_contain_text("Springer")
    assert serious_accessibility_violations(page) == []
