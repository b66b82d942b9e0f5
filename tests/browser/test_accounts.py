"""Portal accounts in the browser, against the real mail path: an invitation accepted from its
mail, a reset, a password change, ending another session, the authenticator app with pyotp, a
passkey through Chromium's virtual authenticator, a recovery code, support kept out until enrolled,
a deactivated user's open session, and throttling."""

import re
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Role, User
from portal.timeutil import clock, utcnow

from .. import factories as f
from ..helpers import run_jobs
from .conftest import serious_accessibility_violations, sign_in

NEW_PASSWORD = "Sonnenhof-Praxis-2026"
LINK = re.compile(r"https?://[^\s/]+(/(?:einladung|passwort/neu)/[A-Za-z0-9_-]{30,})")


def _link(smtp_sink) -> str:
    return LINK.search(smtp_sink.messages()[-1].get_body(("plain",)).get_content()).group(1)


def _new_browser(page):
    context = page.context.browser.new_context(locale="de-DE", viewport={"width": 1366, "height": 900},
                                               bypass_csp=True)
    return context, context.new_page()


def _sign_out(page):
    page.get_by_role("button", name="Abmelden").first.click()
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()


def test_an_invitation_is_accepted_from_its_mail(page, live_server, world, app, smtp_sink):
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.get_by_role("link", name="Benutzer").click()
    page.locator("#email").fill("neu@nord.example")
    page.get_by_label("Rolle").select_option("therapeut")
    page.get_by_role("button", name="Einladen").click()
    expect(page.locator(".notice.success")).to_contain_text("Einladung an neu@nord.example ist unterwegs")
    expect(page.locator("table.invitations")).to_contain_text("neu@nord.example")
    assert serious_accessibility_violations(page) == []
    run_jobs(app)
    context, invitee = _new_browser(page)
    invitee.goto(live_server + _link(smtp_sink))
    expect(invitee.get_by_role("heading", name="Willkommen im Therapeuten-App-Portal")).to_be_visible()
    assert serious_accessibility_violations(invitee) == []
    invitee.get_by_label("Ihr Name").fill("Nina Neumann")
    invitee.locator("#password").fill("passwortpasswort")
    invitee.locator("#repeat").fill("passwortpasswort")
    invitee.get_by_role("button", name="Passwort speichern und anmelden").click()
    expect(invitee.locator(".field-error")).to_contain_text("zu verbreitet")
    invitee.locator("#password").fill(NEW_PASSWORD)
    invitee.locator("#repeat").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Passwort speichern und anmelden").click()
    expect(invitee).to_have_url(f"{live_server}/therapeuten")
    expect(invitee.locator(".notice.success")).to_contain_text("Ihr Zugang für „Praxisgruppe Nord“ ist eingerichtet")
    context.close()
    page.reload()
    expect(page.locator("#users table").first).to_contain_text("neu@nord.example")


def test_a_forgotten_password_is_reset_and_the_old_one_refused(page, live_server, world, app, smtp_sink):
    page.goto(f"{live_server}/anmelden")
    page.get_by_role("link", name="Passwort vergessen?").click()
    page.locator("#email").fill(world.therapeut_a)
    page.get_by_role("button", name="Link senden").click()
    expect(page.get_by_role("heading", name="Bitte sehen Sie in Ihr Postfach")).to_be_visible()
    run_jobs(app)
    page.goto(live_server + _link(smtp_sink))
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#repeat").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Passwort speichern").click()
    expect(page.locator(".notice.success")).to_contain_text("Ihr neues Passwort gilt")
    page.locator("#email").fill(world.therapeut_a)
    page.locator("#password").fill(f.PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.locator(".field-error")).to_contain_text("E-Mail oder Passwort ist falsch.")
    sign_in(page, live_server, world.therapeut_a, NEW_PASSWORD)


def test_changing_the_password_and_ending_another_session(page, live_server, world):
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    context, other = _new_browser(page)
    sign_in(other, live_server, world.chef_a, f.PASSWORD)
    page.get_by_role("link", name="Mein Konto").click()
    expect(page.locator("#sessions-title + div table tbody tr")).to_have_count(2)
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Beenden").click()  # the other browser's row
    expect(page.locator(".notice.success")).to_contain_text("Die Anmeldung wurde beendet.")
    other.goto(f"{live_server}/therapeuten")
    expect(other).to_have_url(re.compile(r"/anmelden\?next="))
    sign_in(other, live_server, world.chef_a, f.PASSWORD)
    page.get_by_label("Aktuelles Passwort").fill(f.PASSWORD)
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#repeat").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Passwort ändern").click()
    expect(page.locator(".notice.success")).to_contain_text("Ihr Passwort wurde geändert.")
    other.goto(f"{live_server}/therapeuten")
    expect(other).to_have_url(re.compile(r"/anmelden"))
    context.close()


def test_the_authenticator_app_with_pyotp_and_a_recovery_code_used_once(page, live_server, world):
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.get_by_role("link", name="Mein Konto").click()
    page.get_by_role("link", name="Zweiten Faktor verwalten").click()
    page.get_by_role("button", name="Authenticator-App einrichten").click()
    expect(page.get_by_role("img", name="QR-Code für die Authenticator-App")).to_be_visible()
    secret = page.locator("#totp-key").inner_text().replace(" ", "")
    code = page.get_by_label("Code aus der App")
    assert code.get_attribute("autocomplete") == "one-time-code" and code.get_attribute("inputmode") == "numeric"
    assert serious_accessibility_violations(page) == []
    code.fill(pyotp.TOTP(secret).at(utcnow()))
    page.get_by_role("button", name="Einrichten").click()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("button", name="Ich habe die Codes gesichert").click()
    _sign_out(page)
    clock.set(utcnow() + timedelta(seconds=31))  # the next half minute's code (a code counts once)
    sign_in(page, live_server, world.chef_a, f.PASSWORD, totp_secret=secret)
    _sign_out(page)
    for attempt in range(2):
        page.locator("#email").fill(world.chef_a)
        page.locator("#password").fill(f.PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.get_by_text("Kein Zugriff auf die App? Wiederherstellungscode verwenden").click()
        page.locator("#recovery_code").fill(codes[0])
        page.get_by_role("button", name="Mit Wiederherstellungscode anmelden").click()
        if attempt == 0:
            expect(page).to_have_url(f"{live_server}/therapeuten")
            _sign_out(page)
    expect(page.locator(".field-error")).to_contain_text("schon verwendet")


def test_a_passkey_through_chromiums_virtual_authenticator(page, live_server, world):
    base = live_server.replace("127.0.0.1", "localhost")  # a passkey needs a domain, not an IP address
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]
    sign_in(page, base, world.chef_a, f.PASSWORD)
    page.goto(f"{base}/konto/zweiter-faktor")
    page.get_by_label("Name des Passkeys").fill("Laptop am Empfang")
    page.get_by_role("button", name="Passkey hinzufügen").click()
    expect(page.locator(".notice.success")).to_contain_text("Der Passkey „Laptop am Empfang“ ist eingerichtet.")
    expect(page.locator("ul.passkeys")).to_contain_text("Laptop am Empfang")
    _sign_out(page)
    page.locator("#email").fill(world.chef_a)
    page.locator("#password").fill(f.PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Anmeldung bestätigen")).to_be_visible()
    page.get_by_role("button", name="Mit Passkey bestätigen").click()
    expect(page).to_have_url(f"{base}/therapeuten")
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert credential["rpId"] == "localhost" and credential["signCount"] >= 1  # it signed the sign-in


def test_replacing_the_authenticator_app_is_confirmed_with_a_passkey_instead_of_the_password(page, live_server,
                                                                                             world, app):
    base = live_server.replace("127.0.0.1", "localhost")  # a passkey needs a domain, not an IP address
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    sign_in(page, base, world.chef_a, f.PASSWORD)
    page.goto(f"{base}/konto/zweiter-faktor/app")
    first = page.locator("#totp-key").inner_text().replace(" ", "")
    page.get_by_label("Code aus der App").fill(pyotp.TOTP(first).at(utcnow()))
    page.get_by_role("button", name="Einrichten").click()
    page.get_by_role("button", name="Ich habe die Codes gesichert").click()
    page.goto(f"{base}/konto/zweiter-faktor")
    page.get_by_role("button", name="Passkey hinzufügen").click()
    expect(page.locator("ul.passkeys")).to_be_visible()
    page.get_by_text("Neue Wiederherstellungscodes, App ersetzen oder entfernen").click()
    page.get_by_role("link", name="Andere App oder neues Telefon einrichten").click()
    expect(page.get_by_label("Ihr Passwort")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Mit Passkey bestätigen").click()
    expect(page.locator(".notice.success")).to_contain_text("mit Ihrem Passkey bestätigt")
    expect(page.get_by_label("Ihr Passwort")).to_have_count(0)
    second = page.locator("#totp-key").inner_text().replace(" ", "")
    page.get_by_label("Code aus der App").fill(pyotp.TOTP(second).at(utcnow()))
    page.get_by_role("button", name="Ersetzen").click()
    expect(page.get_by_role("button", name="Ich habe die Codes gesichert")).to_be_visible()
    with app.app_context():
        assert db.session.scalar(select(User.totp_secret).where(User.email == world.chef_a)) == second != first


def test_support_is_kept_out_of_the_console_until_enrolled(page, live_server, world, app):
    with app.app_context():
        f.user(None, Role.SUPPORT, "neu@hersteller.example", totp_secret="")
        db.session.commit()
    page.goto(f"{live_server}/anmelden")
    page.locator("#email").fill("neu@hersteller.example")
    page.locator("#password").fill(f.PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(f"{live_server}/konto/zweiter-faktor")
    expect(page.get_by_role("status").filter(has_text="vorgeschrieben")).to_be_visible()
    page.goto(f"{live_server}/support")
    expect(page).to_have_url(f"{live_server}/konto/zweiter-faktor")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Authenticator-App einrichten").click()
    secret = page.locator("#totp-key").inner_text().replace(" ", "")
    page.get_by_label("Code aus der App").fill(pyotp.TOTP(secret).at(utcnow()))
    page.get_by_role("button", name="Einrichten").click()
    page.get_by_role("button", name="Ich habe die Codes gesichert").click()
    page.goto(f"{live_server}/support")
    expect(page.get_by_role("heading", name="Kundenservice", level=1)).to_be_visible()


def test_a_deactivated_users_open_session_ends_at_once(page, live_server, world, app):
    context, therapeut = _new_browser(page)
    sign_in(therapeut, live_server, world.therapeut_a, f.PASSWORD)
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.goto(f"{live_server}/benutzer")
    page.on("dialog", lambda dialog: dialog.accept())
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == world.therapeut_a))
    page.locator(f"#user-{user_id}").get_by_role("button", name="Deaktivieren").click()
    expect(page.locator(".notice.success")).to_contain_text("sofort überall abgemeldet")
    therapeut.get_by_role("link", name="Kurse", exact=True).click()
    expect(therapeut).to_have_url(re.compile(r"/anmelden"))
    context.close()


def test_throttling_speaks_german_and_says_when_to_try_again(page, live_server, world):
    limit = 5  # the tests' LOGIN_FAILURE_LIMIT
    page.goto(f"{live_server}/anmelden")
    for i in range(limit):
        page.locator("#email").fill(world.chef_a)
        page.locator("#password").fill(f"falsch-{i}")
        page.get_by_role("button", name="Anmelden").click()
        expect(page.locator(".field-error")).to_contain_text("E-Mail oder Passwort ist falsch.")
    page.locator("#email").fill(world.chef_a)
    page.locator("#password").fill(f.PASSWORD)
    with page.expect_response(re.compile(r"/anmelden$")) as answer:
        page.get_by_role("button", name="Anmelden").click()
    assert answer.value.status == 429 and int(answer.value.headers["retry-after"]) > 0
    expect(page.get_by_text("Zu viele Versuche")).to_be_visible()


@pytest.mark.portal_config(INVITATION_POLL_SECONDS=1)
def test_an_open_invitation_updates_itself_until_the_colleague_has_joined(page, live_server, world, app, smtp_sink):
    """Issue 24, item 6: the row says where the invitation stands and changes by itself, like the
    code status: the mail taken by the server, then "angenommen am …" once the colleague joined."""
    sign_in(page, live_server, world.chef_a, f.PASSWORD)
    page.goto(f"{live_server}/benutzer")
    page.locator("#email").fill("neu@nord.example")
    page.get_by_label("Rolle").select_option("therapeut")
    page.get_by_role("button", name="Einladen").click()
    row = page.locator("table.invitations tbody tr")
    expect(row).to_contain_text("Einladung offen seit")
    expect(row).to_contain_text("Mail wird gesendet")
    run_jobs(app)
    expect(row).to_contain_text("Mail zugestellt an Server")  # no reload: the row looked again
    expect(row).not_to_contain_text("angenommen")
    context, invitee = _new_browser(page)
    invitee.goto(live_server + _link(smtp_sink))
    invitee.get_by_label("Ihr Name").fill("Nina Neumann")
    invitee.locator("#password").fill(NEW_PASSWORD)
    invitee.locator("#repeat").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Passwort speichern und anmelden").click()
    expect(invitee).to_have_url(f"{live_server}/therapeuten")
    context.close()
    expect(row).to_contain_text("angenommen am")
    expect(row).to_contain_text("Nina Neumann ist jetzt Benutzer.")
    expect(row.get_by_role("button", name="Erneut senden")).to_have_count(0)
    assert serious_accessibility_violations(page) == []
