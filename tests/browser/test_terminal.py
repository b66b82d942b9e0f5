"""The check-in terminal on a tablet: pair, check in by chip, sign, see the remaining units; a Springer."""

import re

import pytest
from playwright.sync_api import expect

from portal.checkin.models import Attendance
from portal.extensions import db

from .. import factories as f
from .conftest import serious_accessibility_violations, sign_in


def sign_on_the_pad(page, pad=None):
    pad = pad or page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()  # the mouse reaches only what the window shows
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 120)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 40 + step * 40, box["y"] + 120 + (25 if step % 2 else -25))
    page.mouse.up()


def register_a_terminal(page, live_server, world) -> str:
    """The chef adds the terminal "Tresen" in the portal; returns the pairing code shown."""
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.goto(f"{live_server}/kurse/terminals")
    page.get_by_label("Name des Terminals").fill("Tresen")
    page.get_by_label("Kennung (z. B. Inventarnummer)").fill("TAB-01")
    page.get_by_role("button", name="Terminal hinzufügen").click()
    return page.locator("#pairing-code").inner_text()


def test_pair_check_in_by_chip_sign_and_a_springer(page, live_server, world, app):
    with app.app_context():
        f.course_day(world.group_a, world.practice_a1)

    page.set_viewport_size({"width": 1024, "height": 768})
    code = register_a_terminal(page, live_server, world)
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


INK_BOX = """canvas => {
  const {width, height} = canvas, data = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  let left = width, top = height, right = 0, bottom = 0;
  for (let y = 0; y < height; y += 2) for (let x = 0; x < width; x += 2) {
    if (data[(y * width + x) * 4] < 128) { left = Math.min(left, x); right = Math.max(right, x);
                                             top = Math.min(top, y); bottom = Math.max(bottom, y); }
  }
  return [left / width, top / height, right / width, bottom / height];
}"""


def test_the_ink_lands_under_the_pen_at_laptop_and_tablet_size(page, live_server, world, app):
    with app.app_context():
        f.course_day(world.group_a, world.practice_a1)
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    for width in (1366, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server}/kurse/heute")
        heart = page.locator("article", has_text="Herzsport")
        heart.get_by_text("Im Portal einchecken").click()
        pad = heart.locator("canvas.signature-pad")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
        page.mouse.down()
        for step in range(1, 81):  # a diagonal from 10 % to 90 % of the pad as it is shown
            share = 0.1 + 0.01 * step
            page.mouse.move(box["x"] + box["width"] * share, box["y"] + box["height"] * share)
        page.mouse.up()
        left, top, right, bottom = pad.evaluate(INK_BOX)
        for drawn, expected in ((left, 0.1), (top, 0.1), (right, 0.9), (bottom, 0.9)):
            assert abs(drawn - expected) < 0.03, (width, left, top, right, bottom)


@pytest.mark.portal_config(TERMINAL_RESULT_SECONDS=2, TERMINAL_IDLE_SECONDS=3)
def test_the_terminal_forgets_the_person_by_itself(page, live_server, world, app):
    """The thanks go away after a few seconds; a signature step nobody touches does too."""
    with app.app_context():
        f.course_day(world.group_a, world.practice_a1)
    code = register_a_terminal(page, live_server, world)
    tablet = page.context.browser.new_context(viewport={"width": 1024, "height": 768}, locale="de-DE")
    terminal = tablet.new_page()
    terminal.goto(f"{live_server}/terminal/koppeln?code={code}")
    terminal.get_by_role("button", name="Koppeln").click()
    terminal.get_by_role("button", name=re.compile("Rücken fit")).click()
    terminal.get_by_label("Chip").type("4711\n")
    expect(terminal.get_by_role("heading", name="Hallo Petra P.")).to_be_visible()
    expect(terminal.get_by_label("Chip")).to_be_visible(timeout=8_000)  # nobody signed: back to step 1
    expect(terminal.get_by_text("Petra")).to_have_count(0)
    terminal.get_by_label("Chip").type("4711\n")
    sign_on_the_pad(terminal)
    terminal.get_by_role("button", name="Einchecken").click()
    expect(terminal.get_by_role("heading", name="Danke, Petra P.!")).to_be_visible()
    expect(terminal.get_by_text("Diese Anzeige schließt sich nach 2 Sekunden.")).to_be_visible()
    expect(terminal.get_by_label("Chip")).to_be_visible(timeout=8_000)
    expect(terminal.get_by_text("Petra")).to_have_count(0)
    tablet.close()
