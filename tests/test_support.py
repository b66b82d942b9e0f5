"""Vendor support: search, withdrawal, licences; the audit log with filters and CSV."""

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

import portal
from portal.audit.models import AuditLogIsAppendOnly
from portal.audit.services import record
from portal.audit_log.labels import ACTIONS
from portal.devtools.device_simulator import DeviceClient
from portal.extensions import db
from portal.models import AuditEvent, CodeRequest, Device, Licence, LicenceKind, Practice, PracticeGroup, Therapist
from portal.timeutil import clock, today_berlin, utcnow

from . import factories as f
from .helpers import EMAIL, HX, activate, code_in, login, run_jobs, save_dialog, signed_in
from .helpers import audit_entries as _audit


def _activate_and_sign_in(app, world, smtp_sink, live_server, tmp_path, name="phone"):
    """Anna activated with a database, signed in on one simulated device."""
    chef = signed_in(app, world.chef_a)
    with app.app_context():
        t = db.session.get(Therapist, world.therapist_a)
        f.appointment(t, t.practices[0], utcnow() + timedelta(days=1))
        db.session.commit()
    activate(app, chef, world.therapist_a)
    run_jobs(app)
    device = DeviceClient(tmp_path / name, live_server)
    assert device.sign_in(EMAIL, code_in(smtp_sink.messages()[-1])).status == 201
    return chef, device


def test_support_search_finds_therapists_across_groups(as_user, world):
    client = as_user(world.support)
    for term, expected in (("schmidt", "Schmidt, Anna"), ("bernd@sued", "Berger, Bernd"),
                           ("praxisgruppe süd", "Berger, Bernd"), ("Praxis Süd", "Berger")):
        html = client.get(f"/support/suche?q={term}", headers=HX).get_data(as_text=True)
        assert expected in html, term
    html = client.get("/support/suche?q=praxis am markt", headers=HX).get_data(as_text=True)
    assert "Schmidt, Anna" in html and "Berger" not in html  # by practice
    assert "Nichts gefunden" in client.get("/support/suche?q=zzzz", headers=HX).get_data(as_text=True)
    assert client.get("/support/suche?q=an", headers=HX).headers["HX-Push-Url"] == "/support?q=an"


def test_support_search_takes_underscores_literally_and_folds_german_names(app, as_user, world):
    with app.app_context():
        group = f.group("Ärztehaus Straße")
        practice = f.practice(group, "ÖZ-Praxis")
        f.therapist(group, "Max", "Muster", "max_muster@sonnenhof.example", practices=[practice])
        f.therapist(group, "Moritz", "Muster", "maxymuster@sonnenhof.example", practices=[practice])
        db.session.commit()
    client = as_user(world.support)

    def found(term: str) -> str:
        return client.get("/support/suche", query_string={"q": term}, headers=HX).get_data(as_text=True)

    assert "Muster, Max" in found("max_muster") and "Muster, Moritz" not in found("max_muster")
    assert "Muster, Moritz" not in found("x_m")  # "_" is no wildcard, not even in a short term's scan
    for term in ("Ärztehaus", "ärztehaus", "ÄRZTEHAUS", "strasse", "Straße", "öz-praxis"):
        assert "Muster, Max" in found(term), term
    assert "Muster" not in found("100%")


def test_support_sees_a_therapist_with_readiness_devices_and_code_history(app, world, smtp_sink, live_server,
                                                                          tmp_path, as_user):
    _activate_and_sign_in(app, world, smtp_sink, live_server, tmp_path)
    html = as_user(world.support).get(f"/support/therapeuten/{world.therapist_a}").get_data(as_text=True)
    assert "Anna Schmidt kann sich in der App anmelden." in html and "Simulator (devicesim)" in html
    assert 'data-device-state="active"' in html and "angenommen" in html and "250" in html
    checklist = html.split('class="readiness checklist"')[1].split("</section>")[0]
    assert 'data-check="code" data-ok="ja"' in checklist and "<form" not in checklist  # read-only


def test_support_withdrawal_ends_every_session_and_the_device_wipes(app, world, smtp_sink, live_server, tmp_path,
                                                                    client):
    chef, phone = _activate_and_sign_in(app, world, smtp_sink, live_server, tmp_path)
    login(client, world.support)
    refused = client.post(f"/support/therapeuten/{world.therapist_a}/entziehen", data={"reason": " "})
    assert refused.status_code == 422 and "Bitte geben Sie einen Grund an." in refused.get_data(as_text=True)
    assert _audit(app, "therapist.authorisation_withdrawn") == []
    html = client.post(f"/support/therapeuten/{world.therapist_a}/entziehen",
                       data={"reason": "Praxis hat Vertrag gekündigt"}).get_data(as_text=True)
    assert "1 Gerät abgemeldet" in html
    answer = phone.sync()
    assert answer.status == 401 and answer.error == "revoked" and answer.body["wipe"] is True
    assert not phone.database_file.exists()
    with app.app_context():
        assert not db.session.get(Therapist, world.therapist_a).app_enabled
        assert db.session.scalar(select(func.count(Device.id)).where(Device.revoked_at.is_(None))) == 0
    [(action, actor, role, group_id, details)] = _audit(app, "therapist.authorisation_withdrawn")
    assert (actor, role, group_id) == (world.support, "support", world.group_a)
    assert details["reason"] == "Praxis hat Vertrag gekündigt" and details["devices_revoked"] == 1
    # the practice sees what support did, marked as such
    log = chef.get("/protokoll?action=therapist.authorisation_withdrawn").get_data(as_text=True)
    assert world.support in log and '<span class="badge info">Kundenservice</span>' in log


def test_withdrawal_voids_open_codes_so_only_a_new_code_signs_in(app, world, smtp_sink, live_server, tmp_path,
                                                                  as_user):
    chef, phone = _activate_and_sign_in(app, world, smtp_sink, live_server, tmp_path)
    clock.set(utcnow() + timedelta(seconds=40))
    chef.post(f"/therapeuten/{world.therapist_a}/zugangscode", headers=HX)
    run_jobs(app)
    open_code = code_in(smtp_sink.messages()[-1])
    response = chef.post(f"/therapeuten/{world.therapist_a}/entziehen", headers=HX, data={"reason": "Gerät verloren"})
    assert "Berechtigung von Anna Schmidt entzogen" in response.get_data(as_text=True)
    other = DeviceClient(tmp_path / "other", live_server)
    assert other.sign_in(EMAIL, open_code).error == "invalid_code"
    with app.app_context():
        assert all(r.superseded_at or r.used_at for r in db.session.scalars(select(CodeRequest)))


def test_a_chef_cannot_withdraw_in_another_group(as_user, world):
    assert as_user(world.chef_b).post(f"/therapeuten/{world.therapist_a}/entziehen",
                                      data={"reason": "x"}).status_code == 404


def test_support_sees_a_practices_address_and_ik(app, as_user, world):
    with app.app_context():
        practice = db.session.get(Practice, world.practice_a1)
        practice.street, practice.postcode, practice.ik = "Alter Markt 12", "50667", "590531013"
        db.session.commit()
    html = as_user(world.support).get(f"/support/gruppen/{world.group_a}").get_data(as_text=True)
    assert "Praxis am Markt (Alter Markt 12, 50667 Köln), IK 590531013" in html


def test_support_edits_licences_and_invalid_periods_change_nothing(app, as_user, world):
    client = as_user(world.support)
    response = client.post(f"/support/gruppen/{world.group_a}/lizenzen/app",
                           data={"app-valid_from": "2026-12-01", "app-valid_until": "2026-11-01"})
    assert response.status_code == 422 and "Das Ende darf nicht vor dem Beginn liegen." in response.get_data(
        as_text=True)
    html = client.post(f"/support/gruppen/{world.group_a}/lizenzen/app",
                       data={"app-valid_from": "2020-01-01", "app-valid_until": "2021-12-31"}).get_data(as_text=True)
    assert "Lizenz „App-Lizenz“ gespeichert." in html
    with app.app_context():
        licence = db.session.scalars(select(Licence).where(Licence.group_id == world.group_a,
                                                           Licence.kind == LicenceKind.APP)).one()
        assert licence.valid_until == date(2021, 12, 31)
    [(_, actor, role, group_id, details)] = _audit(app, "licence.updated")
    assert (actor, role, group_id, details["kind"]) == (world.support, "support", world.group_a, "app")


def test_licence_expiry_blocks_activation_and_sync_and_its_return_restores_sync(app, world, smtp_sink, live_server,
                                                                                tmp_path, as_user):
    chef, phone = _activate_and_sign_in(app, world, smtp_sink, live_server, tmp_path)
    support = app.test_client()
    login(support, world.support)
    support.post(f"/support/gruppen/{world.group_a}/lizenzen/app",
                 data={"app-valid_from": "2020-01-01", "app-valid_until": "2021-12-31"})
    answer = phone.sync()
    assert answer.status == 403 and answer.error == "no_license" and phone.database_file.exists()
    with app.app_context():
        other = f.therapist(db.session.get(PracticeGroup, world.group_a), "Neu", "Person", "neu@praxis.example")
        db.session.commit()
        other_id = other.id
    refused = chef.post(f"/therapeuten/{other_id}", headers=HX, data={
        "first_name": "Neu", "last_name": "Person", "email": "neu@praxis.example", "app_enabled": "y"})
    assert refused.status_code == 422
    assert "Ihrer Praxisgruppe fehlt eine gültige App-Lizenz" in refused.get_data(as_text=True)
    with app.app_context():
        assert not db.session.get(Therapist, other_id).app_enabled
    support.post(f"/support/gruppen/{world.group_a}/lizenzen/app",
                 data={"app-valid_from": "2020-01-01", "app-valid_until": ""})
    assert phone.sync().status == 200


def test_the_audit_log_filters_and_pages(app, as_user, world):
    client = as_user(world.chef_a)
    for n in range(3):
        client.post("/praxisgruppe/praxen", headers=HX, data={"name": f"Praxis {n}", "city": ""})
    html = client.get("/protokoll?action=practice.created").get_data(as_text=True)
    assert html.count('<td data-action="practice.created">Praxis angelegt</td>') == 3 and "3 Einträge" in html
    html = client.get("/protokoll?actor=niemand").get_data(as_text=True)
    assert "Keine Einträge für diese Auswahl." in html
    today = today_berlin().isoformat()
    assert "3 Einträge" in client.get(f"/protokoll?since={today}&until={today}").get_data(as_text=True)
    assert "Keine Einträge" in client.get("/protokoll?until=2020-01-01").get_data(as_text=True)


def test_a_chef_sees_only_the_own_groups_entries(app, as_user, world):
    client = as_user(world.chef_b)
    client.post("/praxisgruppe/praxen", headers=HX, data={"name": "Südpraxis", "city": ""})
    with app.app_context():
        record("test.nord", group_id=world.group_a, actor_label="Test")
        db.session.commit()
    html = client.get(f"/protokoll?group={world.group_a}").get_data(as_text=True)
    assert "practice.created" in html and "test.nord" not in html


def test_the_csv_export_holds_the_filtered_entries(app, as_user, world):
    client = as_user(world.chef_a)
    client.post("/praxisgruppe/praxen", headers=HX, data={"name": "Praxis Export", "city": "Köln"})
    client.post(f"/therapeuten/{world.therapist_a}", headers=HX, data={
        "first_name": "Annika", "last_name": "Schmidt", "email": EMAIL})
    response = client.get("/protokoll/export.csv?action=practice.created")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Zeit", "Praxisgruppe", "Therapeut-ID", "Wer", "Rolle", "Aktion", "Aktion (Schlüssel)",
                       "Details"]
    assert len(rows) == 2
    assert rows[1][1:7] == ["Praxisgruppe Nord", "", world.chef_a, "chef", "Praxis angelegt", "practice.created"]
    assert '"name": "Praxis Export"' in rows[1][7] and re.match(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr", rows[1][0])


def test_a_failed_change_leaves_no_audit_entry(app, as_user, world):
    client = as_user(world.chef_a)
    client.post("/praxisgruppe/praxen", headers=HX, data={"name": "", "city": ""})
    client.post(f"/support/gruppen/{world.group_a}/lizenzen/app", data={})
    client.post(f"/therapeuten/{world.therapist_a}/entziehen", headers=HX, data={"reason": ""})
    assert _audit(app) == []


@pytest.mark.parametrize("action", ["update", "delete"])
def test_no_code_path_changes_audit_entries(app, world, action):
    with app.app_context():
        record("x", group_id=world.group_a, actor_label="Test")
        db.session.commit()
        entry = db.session.scalars(select(AuditEvent)).one()
        if action == "update":
            entry.details = {"gefälscht": True}
        else:
            db.session.delete(entry)
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.commit()


def test_the_audit_log_pages_keep_the_filters(app, as_user, world):
    with app.app_context():
        for n in range(55):
            record("test.seite", group_id=world.group_a, actor_label="Test", details={"n": n})
        db.session.commit()
    client = as_user(world.chef_a)
    first = client.get("/protokoll?action=test.seite").get_data(as_text=True)
    assert "Seite 1 von 2" in first and 'href="/protokoll?page=2&amp;action=test.seite"' in first
    second = client.get("/protokoll?action=test.seite&page=2").get_data(as_text=True)
    assert second.count('<td data-action="test.seite">test.seite</td>') == 5 and 'rel="prev"' in second


def test_every_recorded_action_has_german_words():
    """Each action the code records is named in the log's words, not by its key."""
    sources = "\n".join(p.read_text() for p in Path(portal.__file__).parent.rglob("*.py"))
    recorded = {action for call in re.findall(r"\brecord\((.*?)group_id=", sources, re.S)
                for action in re.findall(r'"([a-z_]+\.[a-z_]+)"', call)}
    assert len(recorded) > 30 and recorded - set(ACTIONS) == set()


def test_the_log_reads_as_words_and_filters_by_a_therapist_name(app, as_user, world):
    client = as_user(world.chef_a)
    save_dialog(app, client, world.therapist_a, email="anna.neu@praxis.example", app_enabled="y")
    html = client.get("/protokoll").get_data(as_text=True)
    assert "Therapeut geändert" in html and "App aktiviert" in html and "therapist.updated" not in html.split(
        "<tbody>")[1].replace('data-action="therapist.updated"', "")
    assert "E-Mail: anna.schmidt@praxis.example → anna.neu@praxis.example" in html
    assert "App aktiv: nein → ja" in html
    link = f'href="/protokoll?therapist={world.therapist_a}"'
    assert link in html and ">Anna Schmidt</a>" in html
    filtered = client.get(f"/protokoll?therapist={world.therapist_a}").get_data(as_text=True)
    assert "Nur Einträge zu Anna Schmidt" in filtered and "alle Therapeuten zeigen" in filtered
    options = re.search(r'<select id="f-action".*?</select>', html, re.S).group(0)
    assert '<option value="therapist.updated" >Therapeut geändert</option>' in options
