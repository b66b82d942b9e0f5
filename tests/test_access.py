"""The role table of the spec, and tenant isolation: another group's ids answer 404."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Invitation,
    OfflineCheckIn,
    OfflineStatus,
    Passkey,
    Practice,
    PracticeGroup,
    Prescription,
    Role,
    RunStatus,
    ScriptRun,
    Terminal,
    Therapist,
    User,
    UserSession,
)
from portal.timeutil import today_berlin, utcnow

from . import factories as f
from .helpers import login

CHEF, THERAPEUT, SUPPORT = Role.CHEF.value, Role.THERAPEUT.value, Role.SUPPORT.value
GROUP_ROLES = {CHEF, THERAPEUT}
ALL_ROLES = {CHEF, THERAPEUT, SUPPORT}

# (method, url with placeholders, roles allowed)
ROUTES = [
    ("GET", "/therapeuten", GROUP_ROLES),
    ("GET", "/therapeuten/neu", GROUP_ROLES),
    ("POST", "/therapeuten", GROUP_ROLES),
    ("GET", "/therapeuten/{therapist}", GROUP_ROLES),
    ("POST", "/therapeuten/{therapist}", GROUP_ROLES),
    ("GET", "/therapeuten/{therapist}/termine", GROUP_ROLES),
    ("POST", "/therapeuten/{therapist}/termine", GROUP_ROLES),
    ("POST", "/therapeuten/{therapist}/termine/{appointment}/entfernen", GROUP_ROLES),
    ("POST", "/therapeuten/{therapist}/kurse", GROUP_ROLES),
    ("POST", "/therapeuten/{therapist}/kurse/zuordnen", GROUP_ROLES),
    ("POST", "/therapeuten/{therapist}/kurse/{course}/entfernen", GROUP_ROLES),
    ("POST", "/therapeuten/{therapist}/kalender", GROUP_ROLES),
    ("POST", "/therapeuten/{therapist}/kalender/hochladen", GROUP_ROLES),
    ("GET", "/therapeuten/{therapist}/kalender/{calendar}", GROUP_ROLES),
    ("POST", "/therapeuten/{therapist}/kalender/{calendar}/abrufen", GROUP_ROLES),
    ("POST", "/therapeuten/{therapist}/kalender/{calendar}/entfernen", GROUP_ROLES),
    ("GET", "/therapeuten/{therapist}/zugangscode", GROUP_ROLES),
    ("POST", "/therapeuten/{therapist}/zugangscode", GROUP_ROLES),
    ("GET", "/mail-protokoll", GROUP_ROLES),
    ("GET", "/mail-protokoll?therapist={therapist}", GROUP_ROLES),
    ("GET", "/therapeuten/{therapist}/geraete", GROUP_ROLES),
    ("POST", "/therapeuten/{therapist}/geraete/{device}/beenden", {CHEF}),
    ("GET", "/scripts", {CHEF}),
    ("POST", "/scripts/datenbanken", {CHEF}),
    ("GET", "/scripts/laeufe/{run}", {CHEF}),
    ("POST", "/therapeuten/{therapist}/entziehen", {CHEF}),
    ("GET", "/therapeuten/{therapist}/checkliste", GROUP_ROLES),
    ("POST", "/therapeuten/{therapist}/datenbank", GROUP_ROLES),
    ("GET", "/protokoll", {CHEF, SUPPORT}),
    ("GET", "/protokoll/export.csv", {CHEF, SUPPORT}),
    ("GET", "/support/suche?q=an", {SUPPORT}),
    ("GET", "/support/therapeuten/{therapist}", {SUPPORT}),
    ("POST", "/support/therapeuten/{therapist}/entziehen", {SUPPORT}),
    ("GET", "/support/gruppen/{group}", {SUPPORT}),
    ("POST", "/support/gruppen/{group}/lizenzen/app", {SUPPORT}),
    ("GET", "/kurse/terminals", {CHEF}),
    ("POST", "/kurse/terminals", {CHEF}),
    ("POST", "/kurse/terminals/{terminal}/koppeln", {CHEF}),
    ("POST", "/kurse/terminals/{terminal}/sperren", {CHEF}),
    ("GET", "/kurse/teilnehmer", GROUP_ROLES),
    ("POST", "/kurse/teilnehmer", GROUP_ROLES),
    ("GET", "/kurse/teilnehmer/{participant}", GROUP_ROLES),
    ("POST", "/kurse/teilnehmer/{participant}/verordnungen", GROUP_ROLES),
    ("POST", "/kurse/teilnehmer/{participant}/gruppen", GROUP_ROLES),
    ("GET", "/kurse", GROUP_ROLES),
    ("GET", "/kurse/heute", GROUP_ROLES),
    ("POST", "/kurse/heute/{course}/einchecken", GROUP_ROLES),
    ("GET", "/kurse/tag?datum={past}", GROUP_ROLES),
    ("GET", "/kurse/tag/{past}", GROUP_ROLES),
    ("GET", "/kurse/tag/{past}/{course}/pruefen", GROUP_ROLES),
    ("POST", "/kurse/tag/{past}/{course}/einchecken", GROUP_ROLES),
    ("GET", "/kurse/anwesenheit", GROUP_ROLES),
    ("GET", "/kurse/anwesenheit/anzeigen?kurs={course}&monat=2026-03", GROUP_ROLES),
    ("GET", "/kurse/{course}/anwesenheit", GROUP_ROLES),
    ("GET", "/kurse/{course}/anwesenheit.csv", GROUP_ROLES),
    ("GET", "/kurse/{course}/anwesenheit.pdf", GROUP_ROLES),
    ("GET", "/kurse/verordnungen/{prescription}/teilnahmenachweis.pdf", GROUP_ROLES),
    ("POST", "/kurse/teilnehmer/{participant}/datenauskunft", {CHEF}),
    ("POST", "/kurse/teilnehmer/{participant}/loeschen", {CHEF}),
    ("GET", "/kurse/teilnehmer/import", GROUP_ROLES),
    ("GET", "/kurse/teilnehmer/{participant}/bearbeiten", GROUP_ROLES),
    ("POST", "/kurse/teilnehmer/{participant}/bearbeiten", GROUP_ROLES),
    ("GET", "/kurse/verordnungen/{prescription}/bearbeiten", GROUP_ROLES),
    ("POST", "/kurse/verordnungen/{prescription}/bearbeiten", GROUP_ROLES),
    ("GET", "/kurse/teilnahmen/{attendance}", GROUP_ROLES),
    ("POST", "/kurse/teilnahmen/{attendance}/stornieren", GROUP_ROLES),
    ("POST", "/kurse/teilnahmen/{attendance}/verschieben", GROUP_ROLES),
    ("POST", "/kurse/zu-klaeren/{offline}/uebernehmen", GROUP_ROLES),
    ("POST", "/kurse/zu-klaeren/{offline}/verwerfen", GROUP_ROLES),
    ("POST", "/kurse/teilnehmer/import", GROUP_ROLES),
    ("GET", "/praxisgruppe", {CHEF}),
    ("POST", "/praxisgruppe/praxen", {CHEF}),
    ("GET", "/praxisgruppe/praxen/{practice}/bearbeiten", {CHEF}),
    ("POST", "/praxisgruppe/praxen/{practice}", {CHEF}),
    ("POST", "/praxisgruppe/praxen/{practice}/loeschen", {CHEF}),
    ("GET", "/benutzer", {CHEF}),
    ("POST", "/benutzer/einladen", {CHEF}),
    ("GET", "/benutzer/einladungen/{invitation}", {CHEF}),
    ("POST", "/benutzer/einladungen/{invitation}/erneut", {CHEF}),
    ("POST", "/benutzer/einladungen/{invitation}/zurueckziehen", {CHEF}),
    ("POST", "/benutzer/sicherheit", {CHEF}),
    ("POST", "/benutzer/{user}/deaktivieren", {CHEF}),
    ("POST", "/benutzer/{user}/aktivieren", {CHEF}),
    ("GET", "/support", {SUPPORT}),
    ("GET", "/support/gruppen/neu", {SUPPORT}),
    ("POST", "/support/gruppen/neu", {SUPPORT}),
    ("POST", "/support/gruppen/{group}/einladen", {SUPPORT}),
    ("POST", "/support/benutzer/{user}/zweiter-faktor", {SUPPORT}),
    ("GET", "/support/auftraege", {SUPPORT}),
    ("POST", "/support/auftraege/kein-auftrag/erneut", {SUPPORT}),
    ("POST", "/support/auftraege/alle-erneut", {SUPPORT}),
    ("GET", "/konto", ALL_ROLES),
    ("POST", "/konto/name", ALL_ROLES),
    ("POST", "/konto/passwort", ALL_ROLES),
    ("POST", "/konto/sitzungen/{session}/beenden", ALL_ROLES),
    ("POST", "/konto/sitzungen/andere-beenden", ALL_ROLES),
    ("GET", "/konto/zweiter-faktor", ALL_ROLES),
    ("GET", "/konto/zweiter-faktor/app", ALL_ROLES),
    ("POST", "/konto/zweiter-faktor/app", ALL_ROLES),
    ("POST", "/konto/zweiter-faktor/app/entfernen", ALL_ROLES),
    ("POST", "/konto/zweiter-faktor/app/bestaetigen/optionen", ALL_ROLES),
    ("POST", "/konto/zweiter-faktor/app/bestaetigen", ALL_ROLES),
    ("POST", "/konto/zweiter-faktor/codes", ALL_ROLES),
    ("POST", "/konto/zweiter-faktor/passkey/optionen", ALL_ROLES),
    ("POST", "/konto/zweiter-faktor/passkey", ALL_ROLES),
    ("POST", "/konto/zweiter-faktor/passkey/{passkey}/entfernen", ALL_ROLES),
]
PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.logout", "auth.set_language", "health.healthz", "auth.home",
                    # the probes, and the metrics behind their own bearer token (tests/test_operations.py)
                    "health.readyz", "monitoring.scrape",
                    # the app API authenticates devices by bearer token, not portal users (tests/test_api.py)
                    "api.create_session", "api.database", "api.sync", "api.delete_session", "api.openapi",
                    "api.request_code",
                    # the web app signs in through that API; its page holds no data (tests/test_webapp.py)
                    "webapp.index", "webapp.service_worker", "webapp.manifest",
                    # help is open to everyone (tests/test_help.py)
                    "help.index", "help.page",
                    # the check-in terminal is recognised by its pairing cookie (tests/test_terminal.py)
                    "terminal.pair", "terminal.index", "terminal.identify", "terminal.sign",
                    # ... and offline (tests/test_checkin_offline.py)
                    "terminal.manifest", "terminal.service_worker", "terminal.offline_page", "terminal.day_snapshot",
                    "terminal.replay",
                    # mail providers authenticate by Basic auth or an SNS signature (tests/test_bounce_intakes.py)
                    "webhooks.postmark", "webhooks.ses",
                    # joining, the sign-in's second step, a forgotten password: before any sign-in
                    # (tests/test_accounts.py)
                    "auth.second_step", "auth.passkey_options", "auth.passkey_sign_in", "account.join",
                    "account.join_link", "account.forgot_password", "account.new_password",
                    "account.new_password_link"}


def _objects(app, world, group_id, practice_id, therapist_id):
    """A full set of ids in one group, for filling the URL placeholders."""
    with app.app_context():
        g = db.session.get(PracticeGroup, group_id)
        t = db.session.get(Therapist, therapist_id)
        p = db.session.get(Practice, practice_id)
        extra_user = f.user(g, Role.THERAPEUT)
        device = f.device(t)
        run = ScriptRun(group_id=g.id, script="generate_missing", started_by_label="x", status=RunStatus.DONE)
        course = f.course(g, p, t, weekday=today_berlin().weekday())
        terminal = Terminal(group_id=g.id, name="Tresen", terminal_key=f"T-{g.id}")
        participant = f.participant(g, "P", "Q")
        invitation = Invitation(group_id=g.id, email=f"neu-{g.id}@praxis.example", role=Role.THERAPEUT,
                                invited_by_label="chef")
        db.session.add_all([run, terminal, invitation])
        db.session.flush()
        attendance = f.attendance(course.id, participant.id)
        offline = OfflineCheckIn(group_id=g.id, terminal_id=terminal.id, client_id=str(uuid.uuid4()),
                                 course_id=course.id, participant_id=participant.id, day=today_berlin(),
                                 signed_at=utcnow(), signature_png=attendance.signature_png,
                                 status=OfflineStatus.OPEN, message="x")
        db.session.add(offline)
        db.session.flush()
        ids = {
            "terminal": terminal.id,
            "participant": participant.id,
            "prescription": db.session.scalar(select(Prescription.id)
                                              .where(Prescription.participant_id == participant.id)),
            "group": g.id,
            "device": device.id,
            "run": run.id,
            "therapist": t.id,
            "practice": f.practice(g).id,  # unused, so deleting it is allowed
            "appointment": f.appointment(t, p).id,
            "calendar": f.calendar(t, p).id,
            "course": course.id,
            "user": extra_user.id,
            "invitation": invitation.id,
            "attendance": attendance.id,
            "offline": offline.id,
            "past": (today_berlin() - timedelta(days=7)).isoformat(),  # the course's weekday, a week ago
        }
        db.session.commit()
        return ids


@pytest.mark.parametrize("role", [CHEF, THERAPEUT, SUPPORT, None])
def test_every_route_answers_each_role_as_the_spec_table_says(app, client, world, role):
    ids = _objects(app, world, world.group_a, world.practice_a1, world.therapist_a)
    email = {CHEF: world.chef_a, THERAPEUT: world.therapeut_a, SUPPORT: world.support}.get(role)
    ids["session"] = ids["passkey"] = 999999  # a signed-out client: any id
    if email:
        login(client, email)
        with app.app_context():  # the signed-in user's own other session and passkey
            user = db.session.scalar(select(User).where(User.email == email))
            other = UserSession(user_id=user.id, token_hash=bytes(32))
            key = Passkey(user_id=user.id, credential_id=b"key", public_key=b"pk", name="Testschlüssel")
            db.session.add_all([other, key])
            db.session.commit()
            ids["session"], ids["passkey"] = other.id, key.id
    for method, template, allowed in ROUTES:
        url = template.format(**ids)
        response = client.open(url, method=method, data={})
        if role is None:
            assert response.status_code == 302 and "/anmelden" in response.headers["Location"], url
        elif role in allowed:
            assert response.status_code in (200, 302, 400, 422), (method, url, response.status_code)
        else:
            assert response.status_code == 403, (method, url, role, response.status_code)
            assert "keine Berechtigung" in response.get_data(as_text=True)


def test_every_view_is_covered_by_the_role_table(app):
    covered = set()
    adapter = app.url_map.bind("localhost")
    for method, template, _ in ROUTES:
        url = template.format(therapist=1, appointment=1, course=1, practice=1, user=1, device=1, run=1, group=1,
                              terminal=1, participant=1, invitation=1, session=1, passkey=1, prescription=1,
                              attendance=1, offline=1, past="2026-03-02", calendar=1)
        endpoint, _ = adapter.match(url.split("?")[0], method=method)
        covered.add(endpoint)
    for endpoint, view in app.view_functions.items():
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        assert getattr(view, "required_permission", None) is not None, f"{endpoint} has no permission check"
        assert endpoint in covered, f"{endpoint} is missing from the role table in this test"


def test_another_groups_ids_answer_404_on_every_group_scoped_route(app, client, world):
    foreign = _objects(app, world, world.group_b, world.practice_b, world.therapist_b)
    login(client, world.chef_a)
    checked = 0
    foreign["session"] = foreign["passkey"] = 999999  # of nobody: another user's are tested in test_accounts.py
    for method, template, allowed in ROUTES:
        if "{" not in template.replace("{past}", "") or CHEF not in allowed or template.startswith("/support"):
            continue
        response = client.open(template.format(**foreign), method=method, data={})
        assert response.status_code == 404, (method, template, response.status_code)
        checked += 1
    assert checked >= 10
    with app.app_context():
        assert db.session.get(User, foreign["user"]).active  # nothing changed in the other group


def test_own_ids_mixed_with_a_foreign_object_answer_404(app, client, world):
    own = _objects(app, world, world.group_a, world.practice_a1, world.therapist_a)
    foreign = _objects(app, world, world.group_b, world.practice_b, world.therapist_b)
    login(client, world.chef_a)
    url = f"/therapeuten/{own['therapist']}/termine/{foreign['appointment']}/entfernen"
    assert client.post(url).status_code == 404
    url = f"/therapeuten/{own['therapist']}/kurse/{foreign['course']}/entfernen"
    assert client.post(url).status_code == 404
    response = client.post(f"/therapeuten/{own['therapist']}/kurse/zuordnen", data={"course_id": foreign["course"]})
    assert response.status_code == 422


def test_a_group_user_without_group_gets_nothing(app, client):
    with app.app_context():
        f.user(None, Role.CHEF, "verwaist@portal.example")
        db.session.commit()
    login(client, "verwaist@portal.example")
    assert client.get("/therapeuten").status_code == 403
