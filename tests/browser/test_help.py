"""From a failed code status to the help page that explains it; the help pages are accessible."""

from playwright.sync_api import expect

from portal.extensions import db
from portal.models import CodeRequest, Therapist
from portal.timeutil import utcnow

from .. import factories as f
from .conftest import serious_accessibility_violations, sign_in


def test_a_refused_address_leads_to_its_help_section(page, live_server, world, app):
    with app.app_context():
        therapist = db.session.get(Therapist, world.therapist_a)
        therapist.app_enabled, therapist.email_refused = True, "550 5.1.1 User unknown"
        db.session.add(CodeRequest(group_id=therapist.group_id, therapist_id=therapist.id, email=therapist.email,
                                   requested_at=utcnow(), delivery="refused", smtp_response="550 5.1.1 User unknown"))
        db.session.commit()
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    status = page.locator(f"#code-status-list-{world.therapist_a}")
    expect(status).to_contain_text("Adresse abgelehnt: 550 5.1.1 User unknown")
    with page.context.expect_page() as opened:  # help opens beside the list, in a new tab
        status.get_by_role("link", name="Hilfe zu diesem Status").click()
    help_page = opened.value
    help_page.wait_for_url(f"{live_server}/hilfe/code-kommt-nicht-an#schreibweise")
    expect(help_page.locator("#schreibweise")).to_be_in_viewport()
    expect(help_page.get_by_role("heading", level=1)).to_have_text("Die E-Mail mit dem Zugangscode kommt nicht an")
    assert serious_accessibility_violations(help_page) == []


def test_the_help_pages_have_no_serious_accessibility_violation(page, live_server):
    page.goto(f"{live_server}/hilfe?q=Spam")
    assert serious_accessibility_violations(page) == []
    for slug in ("kann-sich-nicht-anmelden", "datenbank-fehlt", "deaktiviert-nutzt-weiter", "neues-geraet",
                 "abmelden"):
        page.goto(f"{live_server}/hilfe/{slug}")
        assert serious_accessibility_violations(page) == [], slug
