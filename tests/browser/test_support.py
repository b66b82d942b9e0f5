"""Support finds a therapist across groups and withdraws the authorisation in the browser."""

import re

from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Therapist

from .. import factories as f
from .conftest import serious_accessibility_violations, sign_in


def sign_in_support(page, base_url, email):
    sign_in(page, base_url, email, f.PASSWORD, landing="/support")


def test_support_searches_and_withdraws_an_authorisation(page, live_server, world, app):
    with app.app_context():
        therapist = db.session.get(Therapist, world.therapist_b)
        therapist.app_enabled = True
        f.device(therapist, name="iPhone von Bernd")
        db.session.commit()
    sign_in_support(page, live_server, world.support)
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Therapeut, E-Mail, Praxisgruppe oder Praxis suchen").fill("bernd")
    results = page.locator("#support-results")
    expect(results).to_contain_text("Berger, Bernd")
    expect(results).not_to_contain_text("Schmidt, Anna")
    expect(page).to_have_url(re.compile(r"/support\?q=bernd$"))
    results.get_by_role("link", name="Berger, Bernd").click()
    expect(page.get_by_role("heading", name="Bernd Berger", level=1)).to_be_visible()
    expect(page.locator('[data-device-state="active"]')).to_be_visible()
    assert serious_accessibility_violations(page) == []

    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))  # hx-confirm
    page.locator("details.withdraw summary").click()
    page.get_by_role("button", name="Berechtigung entziehen").click()  # no reason yet: no question either
    expect(page.locator("#withdraw-reason-error")).to_be_visible()
    assert questions == []
    page.get_by_label("Grund").fill("Praxis hat gekündigt")
    page.get_by_role("button", name="Berechtigung entziehen").click()
    notice = page.locator(".notice.success")
    expect(notice).to_contain_text("Bernd Berger entzogen: 1 Gerät abgemeldet, 0 offene Codes ungültig.")
    assert questions == ["Berechtigung von Bernd Berger wirklich entziehen?"]
    expect(page.locator('[data-device-state="revoked"]')).to_be_visible()
    with app.app_context():
        assert not db.session.get(Therapist, world.therapist_b).app_enabled
