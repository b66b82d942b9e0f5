"""What a practice stumbles over (issue 24, first round), in the words the pages say: the help beside
a sent code, help that opens beside the work, what unticking "App aktivieren" does, one word for
the mail log, what the front desk may not do and whom to ask, and a new therapist's next steps."""

import re

import pytest
from sqlalchemy import select

from portal.auth.models import Role
from portal.codes.status import StatusKey, status_for
from portal.extensions import db
from portal.models import Bounce, CodeRequest, Delivery, Therapist

from . import factories as f
from .helpers import HX, activate, deactivate, run_jobs

CHEF_ONLY = f"nur für die {Role.CHEF._label}"  # the role's German label where it is defined


def _enable_with_sent_code(app, therapist_id: int, **values) -> int:
    with app.app_context():
        therapist = db.session.get(Therapist, therapist_id)
        therapist.app_enabled = True
        request = f.code_request(therapist, accepted_by="smtp.relay.example",
                                 smtp_response="250 2.0.0 Ok: queued as 4Q1xYz", **values)
        db.session.commit()
        return request.id


def _dialog_html(client, therapist_id: int) -> str:
    return client.get(f"/therapeuten/{therapist_id}", headers=HX).get_data(as_text=True)


# 1. "Code nicht angekommen?" beside a sent code


def test_a_sent_code_shows_what_to_check_and_its_mail_log_entry(app, as_user, world):
    request_id = _enable_with_sent_code(app, world.therapist_a)
    html = _dialog_html(as_user(world.chef_a), world.therapist_a)
    arrival = html[html.index(f'id="code-arrival-{world.therapist_a}"'):]
    arrival = arrival[:arrival.index("</details>")]
    assert "Code nicht angekommen?" in arrival
    assert "anna.schmidt@praxis.example" in arrival  # the address as it was typed
    assert "Spam- oder Junk-Ordner" in arrival and "Ihr Zugangscode für die Therapeuten-App" in arrival
    assert "zugang@praxisportal.example ins Adressbuch" in arrival
    assert re.search(r"vom Mailserver smtp\.relay\.example am \d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr", arrival)
    assert "250 2.0.0 Ok: queued as 4Q1xYz" in arrival
    assert f'href="/mail-protokoll?therapist={world.therapist_a}#mail-{request_id}"' in arrival
    assert 'href="/hilfe/code-kommt-nicht-an" class="help-beside" target="_blank"' in arrival


def test_a_bounced_code_shows_its_delivery_report_open(app, as_user, world):
    request_id = _enable_with_sent_code(app, world.therapist_a)
    with app.app_context():
        request = db.session.get(CodeRequest, request_id)
        request.delivery, request.bounce_reason = Delivery.BOUNCED, "550 5.1.1 Postfach unbekannt"
        db.session.add(Bounce(event_key="dsn-1", intake="smtp", kind="hard", code_request_id=request_id,
                              group_id=world.group_a, recipient=request.email, status="5.1.1",
                              diagnostic="550 5.1.1 Postfach unbekannt"))
        db.session.commit()
    html = _dialog_html(as_user(world.chef_a), world.therapist_a)
    arrival = html[html.index(f'id="code-arrival-{world.therapist_a}"'):]
    assert arrival.index("<details open>") < arrival.index("Code nicht angekommen?")
    assert "Zustellung gescheitert</strong> 5.1.1 – 550 5.1.1 Postfach unbekannt" in arrival


@pytest.mark.parametrize("delivery", [Delivery.PENDING, Delivery.REFUSED])
def test_no_arrival_help_before_the_server_took_the_mail(app, as_user, world, delivery):
    with app.app_context():
        therapist = db.session.get(Therapist, world.therapist_a)
        therapist.app_enabled = True
        f.code_request(therapist, delivery=delivery)
        db.session.commit()
    html = _dialog_html(as_user(world.chef_a), world.therapist_a)
    assert f'id="code-arrival-{world.therapist_a}"' in html and "Code nicht angekommen?" not in html


def test_the_worker_records_which_mail_server_took_the_code(app, as_user, world, smtp_sink):
    activate(app, as_user(world.chef_a), world.therapist_a)
    run_jobs(app)
    with app.app_context():
        request = db.session.scalar(select(CodeRequest))
        assert request.delivery == Delivery.ACCEPTED and request.accepted_by == "127.0.0.1"


def test_the_status_poll_in_the_dialog_refreshes_the_arrival_help(app, as_user, world):
    _enable_with_sent_code(app, world.therapist_a)
    html = as_user(world.chef_a).get(f"/therapeuten/{world.therapist_a}/zugangscode?scope=dialog").get_data(
        as_text=True)
    assert f'<div id="code-arrival-{world.therapist_a}" class="code-arrival" hx-swap-oob="true">' in html
    assert "Code nicht angekommen?" in html


# 2. help links inside forms open beside the work

HELP_LINK = re.compile(r'<a href="/hilfe[^"]*"[^>]*>')


def test_help_links_in_forms_and_the_dialog_open_in_a_new_tab(app, as_user, client, world):
    login_page = client.get("/anmelden").get_data(as_text=True)
    with app.app_context():
        therapist = db.session.get(Therapist, world.therapist_a)
        therapist.email_refused = "550 5.1.1 User unknown"
        db.session.commit()
    _enable_with_sent_code(app, world.therapist_a)
    chef = as_user(world.chef_a)
    pages = {"login": login_page, "dialog": _dialog_html(chef, world.therapist_a),
             "page": chef.get(f"/therapeuten/{world.therapist_a}").get_data(as_text=True)}
    for name, html in pages.items():
        main = html[html.index("<main"):] if "<main" in html else html
        links = HELP_LINK.findall(main)
        assert links, name
        for link in links:
            assert 'target="_blank"' in link and 'rel="noopener"' in link, (name, link)
    assert "(öffnet in neuem Tab)" in pages["dialog"]


# 5. unticking "App aktivieren" says what it does, and the open code is shown as void


def test_unticking_app_aktivieren_voids_the_open_code_and_says_what_it_does(app, as_user, world):
    _enable_with_sent_code(app, world.therapist_a)
    with app.app_context():
        f.device(db.session.get(Therapist, world.therapist_a), name="iPhone von Anna")
        db.session.commit()
    client = as_user(world.chef_a)
    dialog = _dialog_html(client, world.therapist_a)
    assert 'data-shown-when-unchecked="app_enabled" hidden' in dialog
    assert "Ohne „App aktivieren“ synchronisieren die Geräte von Anna Schmidt nicht mehr" in dialog
    assert "Der offene Zugangscode wird mit OK ungültig." in dialog

    html = deactivate(app, client, world.therapist_a).get_data(as_text=True)
    assert ("Die App ist deaktiviert: Das angemeldete Gerät synchronisiert nicht mehr und zeigt weiter, was es "
            "schon geladen hat.") in html
    assert "einen neuen Code braucht es erst nach einer Abmeldung in der App" in html
    assert "Der offene Zugangscode ist nicht mehr gültig." in html
    assert "nicht mehr gültig (App deaktiviert)" in html  # the row's code status
    with app.app_context():
        assert status_for(world.therapist_a).key == StatusKey.VOIDED
        assert db.session.scalar(select(CodeRequest.superseded_at)) is not None


def test_ticking_it_again_at_once_sends_a_new_code(app, as_user, world, smtp_sink):
    _enable_with_sent_code(app, world.therapist_a)
    client = as_user(world.chef_a)
    deactivate(app, client, world.therapist_a)
    html = activate(app, client, world.therapist_a).get_data(as_text=True)  # within the 30 s guard
    assert "Ein neuer Zugangscode wird an anna.schmidt@praxis.example gesendet." in html
    with app.app_context():
        assert db.session.query(CodeRequest).count() == 2
        assert status_for(world.therapist_a).key == StatusKey.SENDING


def test_without_a_device_or_a_code_deactivation_says_so(app, as_user, world):
    with app.app_context():
        db.session.get(Therapist, world.therapist_a).app_enabled = True
        db.session.commit()
    html = deactivate(app, as_user(world.chef_a), world.therapist_a).get_data(as_text=True)
    assert "Die App ist deaktiviert: Kein Gerät ist angemeldet." in html
    assert "nicht mehr gültig" not in html


# 8. "Mail-Protokoll" beside the code status: one word, one thing


def test_the_link_beside_the_code_status_is_called_mail_protokoll(app, as_user, world):
    _enable_with_sent_code(app, world.therapist_a)
    html = as_user(world.chef_a).get("/therapeuten").get_data(as_text=True)
    link = re.search(r'<a href="/mail-protokoll\?therapist=\d+" class="compact-link">([^<]+)</a>', html)
    assert link and link.group(1) == "Mail-Protokoll"
    assert ">Protokoll</a>" not in html.split("<main", 1)[1]


# 10. the front desk sees what is reserved for the Praxisleitung, and whom to ask


def test_the_front_desk_sees_chef_only_actions_disabled_with_who_may(app, as_user, world):
    _enable_with_sent_code(app, world.therapist_a)
    with app.app_context():
        f.device(db.session.get(Therapist, world.therapist_a), name="iPhone von Anna")
        db.session.commit()
    front_desk = as_user(world.therapeut_a)
    html = _dialog_html(front_desk, world.therapist_a)
    assert re.search(r'<button type="button" class="outline secondary compact" disabled '
                     r'aria-describedby="withdraw-reserved">Berechtigung entziehen</button>\s*'
                     rf'<small id="withdraw-reserved" class="reserved-note">{re.escape(CHEF_ONLY)}</small>', html)
    assert re.search(r'disabled aria-describedby="end-reserved-\d+">Sitzung beenden</button>', html)
    assert html.count(CHEF_ONLY) == 2
    page = front_desk.get("/therapeuten").get_data(as_text=True)
    assert re.search(rf'<span class="nav-reserved" aria-disabled="true">Scripts <small>{re.escape(CHEF_ONLY)}', page)


def test_the_chef_sees_the_actions_themselves(app, as_user, world):
    _enable_with_sent_code(app, world.therapist_a)
    with app.app_context():
        f.device(db.session.get(Therapist, world.therapist_a))
        db.session.commit()
    chef = as_user(world.chef_a)
    html = _dialog_html(chef, world.therapist_a) + chef.get("/therapeuten").get_data(as_text=True)
    assert "nur für die" not in html and 'id="withdraw-form"' in html and ">Sitzung beenden</button>" in html


def test_a_page_the_front_desk_may_not_open_says_who_can(as_user, world):
    response = as_user(world.therapeut_a).get("/scripts")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert f"Diese Seite ist {CHEF_ONLY}." in html
    assert "Bitten Sie chef@nord.example, das für Sie zu erledigen." in html


def test_support_gets_no_front_desk_hint(as_user, world):
    html = as_user(world.support).get(f"/support/therapeuten/{world.therapist_a}").get_data(as_text=True)
    assert "nur für die" not in html


# 11. a new therapist is highlighted and offered the next steps


def test_a_therapist_just_created_is_offered_the_next_steps(app, as_user, world):
    client = as_user(world.chef_a)
    response = client.post("/therapeuten", headers=HX, data={"first_name": "Clara", "last_name": "Neumann",
                                                              "email": "clara@praxis.example",
                                                              "practices": [str(world.practice_a1)]})
    assert response.status_code == 200
    with app.app_context():
        clara = db.session.scalar(select(Therapist).where(Therapist.last_name == "Neumann")).id
    html = client.get("/therapeuten").get_data(as_text=True)
    panel = html[html.index('class="new-therapists"'):html.index("</section>", html.index('class="new-therapists"'))]
    assert "Gerade angelegt – die nächsten Schritte" in panel and "Clara Neumann" in panel
    assert f'href="/therapeuten/{clara}/termine"' in panel and ">Termin oder Kurs zuordnen</a>" in panel
    assert f'hx-get="/therapeuten/{clara}?schritt=app"' in panel
    assert f'<tr id="therapist-{clara}" class="is-new">' in html
    assert f'<tr id="therapist-{world.therapist_a}">' in html  # only the new one
    dialog = client.get(f"/therapeuten/{clara}?schritt=app", headers=HX).get_data(as_text=True)
    assert re.search(r'<input[^>]*data-autofocus="true"[^>]*id="app_enabled"|<input[^>]*id="app_enabled"[^>]*'
                     r'data-autofocus="true"', dialog)
    activate(app, client, clara)
    html = client.get("/therapeuten").get_data(as_text=True)
    assert 'class="new-therapists"' not in html and 'class="is-new"' not in html


def test_open_items_are_listed_without_hover(as_user, world):
    html = as_user(world.chef_a).get("/therapeuten").get_data(as_text=True)
    mark = html[html.index(f'id="open-items-{world.therapist_a}"'):]
    mark = mark[:mark.index("</details>")]
    assert "Punkte offen" in mark and "<li>„App aktivieren“ ist nicht gesetzt</li>" in mark
    assert "<li>Kein Termin und kein Kurs zugeordnet</li>" in mark


def test_the_arrow_has_a_visible_label(as_user, world):
    html = as_user(world.chef_a).get("/therapeuten").get_data(as_text=True)
    arrow = html[html.index(f'id="code-arrow-list-{world.therapist_a}"'):]
    assert '<span class="arrow-label">Zugangscode senden</span></button>' in arrow[:arrow.index("</button>") + 9]
