"""The readiness rules: one table behind the list's mark, the "nicht bereit" filter, the checklist
(with its fixes), support's view, the onboarding panel and the app's sign-in refusal."""

import itertools
import re
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import Licence, PracticeGroup, Role, Therapist, TherapistDatabase
from portal.readiness import RULES, sign_in_refusal
from portal.timeutil import clock, utcnow

from . import factories as f
from .helpers import EMAIL, HX, activate, login, run_jobs, signed_in

KEYS = [rule.key for rule in RULES]


def _checks(client, therapist_id) -> dict:
    html = client.get(f"/therapeuten/{therapist_id}/checkliste").get_data(as_text=True)
    return dict(re.findall(r'data-check="(\w+)" data-ok="(ja|nein)"', html))


def _build(g: PracticeGroup, practice, met: dict) -> Therapist:
    """A therapist of group ``g`` meeting exactly the per-therapist rules marked True in ``met``."""
    t = f.therapist(g, "Kombi", email=f"kombi{next(_numbers)}@praxis.example" if met["email"] else None,
                    app_enabled=met["app"], practices=[practice])
    t.email_refused = None if met["deliverable"] else "550 5.1.1 User unknown"
    t.withdrawn_at = None if met["withdrawn"] else utcnow()
    if met["schedule"]:
        f.appointment(t, practice)
    if met["database"]:
        db.session.add(TherapistDatabase(therapist_id=t.id, group_id=g.id, sha256="0" * 64, stale=False))
    if met["code"]:
        f.code_request(t)
    return t


_numbers = itertools.count()


def _list_marks(client) -> dict[int, int]:
    html = client.get("/therapeuten").get_data(as_text=True)
    return {int(i): int(n) for i, n in re.findall(r'<tr id="therapist-(\d+)">.*?data-unmet="(\d+)"', html, re.S)}


def _not_ready(client) -> set[int]:
    html = client.get("/therapeuten?ready=nein").get_data(as_text=True)
    return {int(i) for i in re.findall(r'<tr id="therapist-(\d+)">', html)}


def test_mark_checklist_and_filter_agree_for_every_combination_of_rule_states(app):
    """For every combination of the rules' states: the list's mark counts exactly the checklist's
    open items, which are exactly the unmet rules, and "nicht bereit" lists the therapist exactly
    when that count is above zero."""
    app.config["THERAPISTS_PER_PAGE"] = 500
    expected: dict[int, set[str]] = {}
    with app.app_context():
        for licensed in (True, False):
            g = f.group(f"Kombinationen {licensed}", licensed=licensed)
            practice = f.practice(g)
            f.user(g, Role.CHEF, f"chef-{licensed}@kombi.example")
            for states in itertools.product((True, False), repeat=len(KEYS) - 1):
                met = dict(zip(KEYS[1:], states, strict=True))
                if met["code"] and not met["email"]:
                    continue  # a code sent to the current address needs an address
                therapist = _build(g, practice, met)
                expected[therapist.id] = {key for key, ok in {"licence": licensed, **met}.items() if not ok}
        db.session.commit()
    assert len(expected) == 2 * (2 ** 7 - 2 ** 5)
    marks, not_ready = {}, set()
    for licensed in (True, False):
        client = signed_in(app, f"chef-{licensed}@kombi.example")
        group_marks = _list_marks(client)
        marks |= group_marks
        not_ready |= _not_ready(client)
        for therapist_id in group_marks:
            checks = _checks(client, therapist_id)
            assert {key for key, ok in checks.items() if ok == "nein"} == expected[therapist_id], therapist_id
    assert marks == {tid: len(unmet) for tid, unmet in expected.items()}
    assert not_ready == {tid for tid, unmet in expected.items() if unmet}


def test_the_list_mark_names_the_open_items(app, as_user, world):
    html = as_user(world.chef_a).get("/therapeuten").get_data(as_text=True)
    row = re.search(rf'<tr id="therapist-{world.therapist_a}">(.*?)</tr>', html, re.S).group(1)
    assert "4 Punkte offen" in row
    for problem in ("„App aktivieren“ ist nicht gesetzt", "Kein Termin und kein Kurs zugeordnet",
                    "Die Therapeuten-Datenbank fehlt noch", "Kein gültiger Zugangscode für diese Adresse"):
        assert problem in row


def test_each_readiness_item_flips_when_its_cause_is_fixed(app, world, smtp_sink):
    with app.app_context():
        group = f.group("Neu", licensed=False)
        practice = f.practice(group)
        therapist = f.therapist(group, "Nina", "Neu", email=None, practices=[practice])
        f.user(group, Role.CHEF, "chef@neu.example")
        db.session.commit()
        group_id, therapist_id, practice_id = group.id, therapist.id, practice.id
    client = signed_in(app, "chef@neu.example")
    checks = _checks(client, therapist_id)
    assert checks == {"licence": "nein", "email": "nein", "deliverable": "ja", "app": "nein", "withdrawn": "ja",
                      "schedule": "nein", "database": "nein", "code": "nein"}
    with app.app_context():
        db.session.get(PracticeGroup, group_id).licences = [
            Licence(kind=k, valid_from=f.date(2020, 1, 1)) for k in ("sync", "app")]
        db.session.commit()
    assert _checks(client, therapist_id)["licence"] == "ja"
    client.post(f"/therapeuten/{therapist_id}", headers=HX, data={
        "first_name": "Nina", "last_name": "Neu", "email": "nina@neu.example", "practices": [str(practice_id)]})
    assert _checks(client, therapist_id)["email"] == "ja"
    client.post(f"/therapeuten/{therapist_id}/termine", headers=HX, data={
        "title": "KG", "day": "2026-12-01", "start": "09:00", "duration_minutes": "30",
        "practice_id": str(practice_id)})
    assert _checks(client, therapist_id)["schedule"] == "ja"
    client.post(f"/therapeuten/{therapist_id}", headers=HX, data={
        "first_name": "Nina", "last_name": "Neu", "email": "nina@neu.example", "practices": [str(practice_id)],
        "app_enabled": "y"})
    html = client.get(f"/therapeuten/{therapist_id}/checkliste").get_data(as_text=True)
    assert "in Arbeit" in html and 'hx-trigger="load delay:3s"' in html  # database and code on their way
    run_jobs(app)
    assert set(_checks(client, therapist_id).values()) == {"ja"}
    assert "Nina Neu kann sich in der App anmelden." in client.get(
        f"/therapeuten/{therapist_id}/checkliste").get_data(as_text=True)
    client.post(f"/therapeuten/{therapist_id}/entziehen", headers=HX, data={"reason": "Test"})
    checks = _checks(client, therapist_id)
    assert checks["withdrawn"] == "nein" and checks["app"] == "nein"
    with app.app_context():
        db.session.get(Therapist, therapist_id).email_refused = "550 weg"
        db.session.commit()
    assert _checks(client, therapist_id)["deliverable"] == "nein"
    client.post(f"/therapeuten/{therapist_id}", headers=HX, data={
        "first_name": "Nina", "last_name": "Neu", "email": "nina@neu.example", "practices": [str(practice_id)],
        "app_enabled": "y"})
    assert _checks(client, therapist_id)["withdrawn"] == "ja"  # activating again lifts the withdrawal


def test_an_unmet_rule_names_its_particulars_and_its_help(app, as_user, world):
    with app.app_context():
        t = db.session.get(Therapist, world.therapist_a)
        t.email_refused = "550 5.1.1 unbekannt"
        g = db.session.get(PracticeGroup, world.group_a)
        g.licences = [lic for lic in g.licences if lic.kind != "app"]
        db.session.commit()
    html = as_user(world.chef_a).get(f"/therapeuten/{world.therapist_a}/checkliste").get_data(as_text=True)
    assert "Die E-Mail-Adresse ist nicht empfangsbereit: 550 5.1.1 unbekannt" in html
    assert "Es fehlt eine gültige App-Lizenz" in html
    assert 'href="/hilfe/kann-sich-nicht-anmelden#zustellbar"' in html


def test_the_database_fix_action_generates_it(app, as_user, world):
    with app.app_context():
        db.session.get(Therapist, world.therapist_a).app_enabled = True
        db.session.commit()
    client = as_user(world.chef_a)
    assert _checks(client, world.therapist_a)["database"] == "nein"
    html = client.post(f"/therapeuten/{world.therapist_a}/datenbank", headers=HX).get_data(as_text=True)
    assert "Die Therapeuten-Datenbank wird erzeugt." in html
    run_jobs(app)
    assert _checks(client, world.therapist_a)["database"] == "ja"


def test_the_sign_in_refusal_reads_the_rules(app, world):
    with app.app_context():
        assert sign_in_refusal(world.therapist_a) == "app_disabled"
        t = db.session.get(Therapist, world.therapist_a)
        t.app_enabled = True
        db.session.commit()
        assert sign_in_refusal(world.therapist_a) == "database_not_ready"
        db.session.add(TherapistDatabase(therapist_id=t.id, group_id=t.group_id, sha256="0" * 64, stale=False))
        t.withdrawn_at = utcnow()
        db.session.commit()
        assert sign_in_refusal(world.therapist_a) == "app_disabled"
        t.withdrawn_at = None
        t.group.licences = []
        db.session.commit()
        assert sign_in_refusal(world.therapist_a) == "no_license"


def test_the_onboarding_panel_follows_the_data(app, world, smtp_sink):
    with app.app_context():
        group = f.group("Start")
        practice = f.practice(group)
        f.user(group, Role.CHEF, "chef@start.example")
        db.session.commit()
        group_id, practice_id = group.id, practice.id
    client = app.test_client()
    login(client, "chef@start.example")

    def count():
        html = client.get("/therapeuten").get_data(as_text=True)
        found = re.search(r"Einrichtung der Therapeuten-App: (\d)/4", html)
        return int(found.group(1)) if found else 4

    assert count() == 1  # the licences
    client.post("/therapeuten", headers=HX, data={"first_name": "Olga", "last_name": "Start",
                                                  "email": "olga@start.example", "practices": [str(practice_id)]})
    assert count() == 2
    with app.app_context():
        therapist_id = db.session.scalar(select(Therapist.id).where(Therapist.group_id == group_id))
    client.post(f"/therapeuten/{therapist_id}/termine", headers=HX, data={
        "title": "KG", "day": "2026-12-01", "start": "09:00", "duration_minutes": "30",
        "practice_id": str(practice_id)})
    assert count() == 3
    client.post(f"/therapeuten/{therapist_id}", headers=HX, data={
        "first_name": "Olga", "last_name": "Start", "email": "olga@start.example",
        "practices": [str(practice_id)], "app_enabled": "y"})
    assert count() == 3  # activated, but the code is not sent yet
    run_jobs(app)
    assert count() == 4 and "Einrichtung der Therapeuten-App" not in client.get("/therapeuten").get_data(as_text=True)


def _ready_but_for_the_code(app, world, **code_values):
    """Anna meets every rule; her one code request carries ``code_values``."""
    with app.app_context():
        t = db.session.get(Therapist, world.therapist_a)
        t.app_enabled = True
        f.appointment(t, t.practices[0])
        db.session.add(TherapistDatabase(therapist_id=t.id, group_id=t.group_id, sha256="0" * 64, stale=False))
        f.code_request(t, code="042917", **code_values)
        db.session.commit()


def _code_item(client, therapist_id) -> str:
    html = client.get(f"/therapeuten/{therapist_id}/checkliste").get_data(as_text=True)
    return re.search(r'<li [^>]*data-check="code"[^>]*>(.*?)</li>', html, re.S).group(1)


def test_a_code_that_can_no_longer_be_used_is_an_open_item(app, as_user, world):
    _ready_but_for_the_code(app, world)
    client = as_user(world.chef_a)
    assert _checks(client, world.therapist_a)["code"] == "ja" and _list_marks(client)[world.therapist_a] == 0
    clock.set(utcnow() + timedelta(minutes=16))
    assert "Letzter Zugangscode: abgelaufen" in _code_item(client, world.therapist_a)
    assert _list_marks(client)[world.therapist_a] == 1 and world.therapist_a in _not_ready(client)
    clock.set(None)
    for _ in range(5):  # five wrong codes lock it
        app.test_client().post("/api/app/v1/session", json={"email": EMAIL, "code": "000000",
                                                            "device_name": "iPhone", "platform": "ios"})
    assert "Letzter Zugangscode: gesperrt" in _code_item(client, world.therapist_a)
    assert _list_marks(client)[world.therapist_a] == 1 and world.therapist_a in _not_ready(client)


def test_a_used_code_stays_met_after_it_would_have_expired(app, as_user, world):
    _ready_but_for_the_code(app, world, used_at=utcnow(), used_by="iPhone von Anna")
    clock.set(utcnow() + timedelta(days=3))
    client = as_user(world.chef_a)
    assert _checks(client, world.therapist_a)["code"] == "ja" and _list_marks(client)[world.therapist_a] == 0


def test_a_fix_is_offered_only_once_what_it_needs_is_met(app, as_user, world):
    with app.app_context():
        db.session.get(Therapist, world.therapist_a).email = None
        db.session.commit()
    client = as_user(world.chef_a)
    html = client.get(f"/therapeuten/{world.therapist_a}/checkliste").get_data(as_text=True)
    item = _code_item(client, world.therapist_a)
    assert "Zugangscode senden" not in item and "Voraussetzung fehlt: E-Mail-Adresse hinterlegt" in item
    deliverable = re.search(r'<li class="(\w+)" data-check="deliverable"[^>]*>(.*?)</li>', html, re.S)
    assert deliverable.group(1) == "unchecked" and "noch nicht prüfbar" in deliverable.group(2)
    database = re.search(r'<li [^>]*data-check="database"[^>]*>(.*?)</li>', html, re.S).group(1)
    assert "Datenbank jetzt erzeugen" not in database and "Voraussetzung fehlt: App aktiviert" in database
    with app.app_context():
        db.session.get(Therapist, world.therapist_a).email = EMAIL
        db.session.commit()
    assert "Voraussetzung fehlt: App aktiviert" in _code_item(client, world.therapist_a)
    activate(app, client, world.therapist_a)
    clock.set(utcnow() + timedelta(minutes=1))  # past the resend cool-down
    assert "Zugangscode senden" in _code_item(client, world.therapist_a)


def test_the_status_refreshes_the_list_mark_and_the_dialog_checklist(app, as_user, world):
    with app.app_context():
        t = db.session.get(Therapist, world.therapist_a)
        f.appointment(t, t.practices[0])
        db.session.commit()
    client = as_user(world.chef_a)
    activate(app, client, world.therapist_a)
    run_jobs(app)  # the database and the code mail
    cell = client.get(f"/therapeuten/{world.therapist_a}/zugangscode?scope=list", headers=HX).get_data(as_text=True)
    mark = cell.split(f'<div id="readiness-{world.therapist_a}" class="readiness-mark" hx-swap-oob="true">')[1]
    assert 'data-unmet="0"' in mark  # the list row's mark, out of band: ready now
    dialog = client.get(f"/therapeuten/{world.therapist_a}/zugangscode?scope=dialog", headers=HX).get_data(as_text=True)
    assert f'<section id="checklist-{world.therapist_a}"' in dialog and 'hx-swap-oob="true"' in dialog
    assert 'data-check="code" data-ok="ja"' in dialog
    clock.set(utcnow() + timedelta(minutes=1))
    sent = client.post(f"/therapeuten/{world.therapist_a}/zugangscode?scope=dialog", headers=HX).get_data(as_text=True)
    message = re.search(rf'<div id="code-message-{world.therapist_a}"[^>]*>(.*?)</div>', sent, re.S).group(1)
    assert "Ein neuer Zugangscode wird an" in message and 'id="flash"' not in sent  # inside the dialog
    assert 'data-check="code" data-ok="nein"' in sent and "in Arbeit" in sent  # the checklist follows
