"""A day's courses at the front desk (issue 24, item 13): who is expected beside who came, a
person checked in from the list of those expected and then no longer offered, the reason fields
only when the rules ask for them, and a forgotten check-in entered on another day with its reason."""

from datetime import timedelta

from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Course, Participant, PracticeGroup
from portal.timeutil import today_berlin

from .. import factories as f
from .conftest import serious_accessibility_violations, sign_in
from .test_terminal import sign_on_the_pad


def test_expected_and_came_side_by_side_reasons_on_demand_and_a_forgotten_check_in(page, live_server, world, app):
    with app.app_context():
        ids = f.course_day(world.group_a, world.practice_a1)  # Petra: member of "Rücken fit"
        g = db.session.get(PracticeGroup, world.group_a)
        f.participant(g, "Ute", "Urban", member_of=db.session.get(Course, ids["back"]))
        f.participant(g, "Karl", "Kurz", member_of=db.session.get(Course, ids["heart"]))
        db.session.commit()
    sign_in(page, live_server, world.therapeut_a, f.PASSWORD)
    page.goto(f"{live_server}/kurse/heute")
    back = page.locator("article", has_text="Rücken fit")
    expected = back.locator("ul.expected")
    expect(expected).to_contain_text("Petra Pohl")
    expect(expected).to_contain_text("Ute Urban")
    expect(back.locator("ul.checked-in")).to_have_count(0)
    assert serious_accessibility_violations(page) == []

    back.get_by_role("link", name="Einchecken: Ute Urban").click()  # from the list: the form opens with her
    back = page.locator("article", has_text="Rücken fit")
    expect(back.get_by_label("Person")).to_have_value(str(_id(app, "Urban")))
    expect(back.locator("textarea")).to_have_count(0)  # a member, first time this week: no reason asked
    sign_on_the_pad(page, back.locator("canvas.signature-pad"))
    back.get_by_role("button", name="Einchecken").click()
    expect(page.locator(".notice.success")).to_contain_text("Ute Urban ist eingecheckt")
    back = page.locator("article", has_text="Rücken fit")
    expect(back.locator("ul.checked-in")).to_contain_text("Ute Urban")
    expect(back.locator("ul.expected li", has_text="Ute Urban")).to_contain_text("eingecheckt")
    expect(back.locator("select[name=participant_id] option", has_text="Urban")).to_have_count(0)  # not again

    heart = page.locator("article", has_text="Herzsport")
    heart.get_by_text("Im Portal einchecken").click()
    person = heart.get_by_label("Person")
    person.select_option(str(ids["petra"]))  # not a member here: a Springer
    reason = heart.get_by_label("Grund für die Teilnahme als Springer")
    expect(reason).to_be_visible()
    expect(heart.get_by_label("Grund für die dritte Teilnahme in dieser Woche")).to_have_count(0)
    person.select_option(str(_id(app, "Kurz")))  # a member: the field goes again
    expect(reason).to_have_count(0)
    assert serious_accessibility_violations(page) == []

    week_ago = today_berlin() - timedelta(days=7)
    page.get_by_label("Anderen Tag öffnen, um einen vergessenen Check-in nachzutragen").fill(week_ago.isoformat())
    page.get_by_role("button", name="Tag öffnen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{week_ago:%d.%m.%Y}")
    back = page.locator("article", has_text="Rücken fit")
    back.get_by_text("Check-in nachtragen").click()
    back.get_by_label("Person").select_option(str(ids["petra"]))
    back.get_by_label("Grund für den Nachtrag").fill("Tablet war aus, Teilnahme auf der Papierliste")
    sign_on_the_pad(page, back.locator("canvas.signature-pad"))
    back.get_by_role("button", name="Nachtragen").click()
    expect(page.locator(".notice.success")).to_contain_text("Petra Pohl ist eingecheckt")
    expect(page.locator("article", has_text="Rücken fit").locator("ul.checked-in")).to_contain_text(
        "nachgetragen: Tablet war aus")
    assert serious_accessibility_violations(page) == []


def _id(app, last_name: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Participant.id).where(Participant.last_name == last_name))
