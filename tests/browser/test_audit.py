"""The Protokoll fits a laptop and a tablet: every column whole, long addresses and Message-IDs
wrapped instead of a table cut off at the edge (issue 24, item 7)."""

from sqlalchemy import select

from portal.audit.services import record
from portal.extensions import db
from portal.models import Practice, PracticeGroup, Role, User
from portal.timeutil import today_berlin

from .. import factories as f
from .conftest import serious_accessibility_violations, sign_in

LONG_ID = "<177012345678.12345.1234567890123456789@portal-mailversand.praxisgruppe-sonnenhof.example>"


def _clipped(page) -> list[str]:
    """The cells whose content is wider than the cell, and how far the table reaches past the page's main column."""
    return page.evaluate("""() => {
        const main = document.querySelector('main').getBoundingClientRect();
        const table = document.querySelector('table.audit-log').getBoundingClientRect();
        const out = [...document.querySelectorAll('table.audit-log td')]
            .filter(td => td.scrollWidth > td.clientWidth + 1).map(td => td.textContent.trim().slice(0, 40));
        if (table.right > main.right + 1) out.push(`table ends ${table.right - main.right}px past the page`);
        return out;
    }""")


def test_the_protokoll_fits_1366_and_1024_pixels_with_long_details(page, live_server, world, app):
    with app.app_context():
        group = db.session.get(PracticeGroup, world.group_a)
        course = f.course(group, db.session.get(Practice, world.practice_a1), weekday=today_berlin().weekday())
        person = f.participant(group, first_name="Maximiliane-Friederike", last_name="Müller-Lüdenscheidt",
                               member_of=course)
        support = db.session.scalar(select(User).where(User.email == world.support))
        desk = f.user(group, Role.THERAPEUT, "verwaltung.physiotherapiezentrumsonnenhof@praxisgruppe.example")
        for _ in range(3):
            record("participant.created", group_id=world.group_a, actor=desk, details={"participant_id": person.id})
            record("code.sent", group_id=world.group_a, therapist_id=world.therapist_a, actor_label="Versanddienst",
                   details={"code_request_id": 1, "email": "anna.schmidt-mueller-luedenscheidt@praxisgruppe-sonnenhof"
                                                          ".example", "message_id": LONG_ID})
            record("participant.updated", group_id=world.group_a, actor=support,
                   details={"participant_id": person.id, "fields": ["first_name", "last_name", "birth_date"]})
        db.session.commit()
    sign_in(page, live_server, world.support, f.PASSWORD, landing="/support")
    for width in (1366, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server}/protokoll")  # support, every group: the widest table
        assert page.locator("table.audit-log th", has_text="Praxisgruppe").count() == 1
        assert _clipped(page) == [], width
        assert page.locator("table.audit-log").get_by_text("Maximiliane-Friederike Müller-Lüdenscheidt").count() == 6
    assert serious_accessibility_violations(page) == []
