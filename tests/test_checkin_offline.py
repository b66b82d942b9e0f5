"""The terminal without a connection, from the server's side: the installable app (manifest,
service worker, offline page), the day's data the tablet keeps (identification only as a slow keyed
derivation), the replay of queued check-ins exactly once per id inside the window the tablet kept,
nothing from a locked terminal, and the "Zu klären" list for those the rules refuse afterwards."""

import base64
import io
import json
import os
import re
import threading
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from portal.checkin import offline
from portal.checkin.models import Attendance, OfflineCheckIn, OfflineStatus, Prescription, Terminal
from portal.extensions import db
from portal.models import AuditEvent, Course, CourseKind, PracticeGroup
from portal.timeutil import BERLIN, clock, today_berlin

from . import factories as f
from .helpers import HX, SIGNATURE_URL, count_rows, register_and_pair, signed_in


@pytest.fixture
def course_day(app, world):
    with app.app_context():
        return f.course_day(world.group_a, world.practice_a1)


TABLE = json.loads((Path(__file__).parent / "data/identification.json").read_text())


def _at(hour: int, minute: int = 0, days_ago: int = 0) -> datetime:
    """An instant of this morning or a morning before, by the real calendar (the portal's clock may travel)."""
    day = datetime.now(BERLIN).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), BERLIN).astimezone(UTC)


@pytest.fixture(autouse=True)
def _nine_in_the_morning():
    """The portal's clock stands at nine this morning (tests that travel set it themselves)."""
    clock.set(_at(9))


@pytest.fixture
def tablet(app, as_user, world, course_day):
    """The tablet at the counter, paired at nine this morning."""
    return register_and_pair(app, as_user(world.chef_a))[0]


def _signed_today(hour: int = 9, minute: int = 5) -> str:
    """An instant of today (Berlin), as the tablet writes it."""
    local = datetime.combine(today_berlin(), time(hour, minute), BERLIN)
    return local.astimezone().isoformat()


def _queued(course_id: int, participant_id: int, **values) -> dict:
    return {"id": str(uuid.uuid4()), "course_id": course_id, "participant_id": participant_id,
            "signed_at": _signed_today(), "signature": SIGNATURE_URL} | values


def _ticket(tablet) -> str:
    """The ticket of the day's data the tablet holds now (it comes with heute.json)."""
    return tablet.get("/terminal/heute.json").get_json()["ticket"]


def _send(tablet, item):
    """Hand over a queued check-in with the ticket of the day's data it was made with (unless given)."""
    if isinstance(item, dict) and "ticket" not in item:
        item = item | {"ticket": _ticket(tablet)}
    return tablet.post("/terminal/nachtrag", data=json.dumps(item), content_type="application/json")


def test_the_terminal_is_an_installable_web_app(app, tablet):
    manifest = tablet.get("/terminal/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json()
    assert body["display"] == "standalone" and body["start_url"] == "/terminal" and body["lang"] == "de"
    for icon in body["icons"]:
        png = tablet.get(icon["src"])
        assert png.status_code == 200 and png.data.startswith(b"\x89PNG"), icon
    page = tablet.get("/terminal").get_data(as_text=True)
    assert 'rel="manifest" href="/terminal/manifest.webmanifest"' in page
    worker = tablet.get("/terminal/sw.js")
    assert worker.mimetype == "text/javascript" and worker.headers["Service-Worker-Allowed"] == "/terminal"
    script = worker.get_data(as_text=True)
    assert '"/terminal/offline"' in script and '"/static/terminal-offline.js"' in script
    for path in json.loads(script.split("const ASSETS = ")[1].split(";")[0]):
        assert tablet.get(path).status_code == 200, path  # everything it caches exists
    shell = tablet.get("/terminal/offline").get_data(as_text=True)
    assert "Keine Verbindung" in shell and "Petra" not in shell  # the offline page itself holds no data


def test_the_day_snapshot_holds_what_identification_needs_and_no_more(app, tablet, world, course_day):
    with app.app_context():
        group = db.session.get(PracticeGroup, world.group_a)
        back = db.session.get(Course, course_day["back"])
        f.participant(group, "Fritz", "Funk", kind=CourseKind.FUNKTIONSTRAINING, member_of=back)  # wrong kind
        f.participant(group, "Nina", "Nirgends", chip_id="0001")  # in no course group: cannot check in
        f.participant(group, "Leo", "Leer", units=0, member_of=back)  # no units left
        f.participant(db.session.get(PracticeGroup, world.group_b), "Berta", "Süd", chip_id="9999")
        db.session.commit()
    response = tablet.get("/terminal/heute.json")
    assert response.headers["Cache-Control"] == "no-store"
    snapshot = response.get_json()
    assert snapshot["day"] == today_berlin().isoformat() and snapshot["terminal_name"] == "Tresen"
    assert [c["name"] for c in snapshot["courses"]] == ["Rücken fit", "Herzsport"]
    assert snapshot["kdf"] == offline.KDF and snapshot["ticket"]
    [petra] = snapshot["people"]
    page = tablet.get("/terminal").get_data(as_text=True)
    key = bytes.fromhex(re.search(r'data-identify-key="([0-9a-f]{64})"', page).group(1))  # the pages bring the key
    salt = bytes.fromhex(petra["salt"])
    assert petra == {"id": course_day["petra"], "name": "Petra P.", "salt": salt.hex(),
                     "chip": offline.derive(key, salt, "chip", "4711"),
                     "person": offline.derive(key, salt, "person", "pohl|1950-05-01")}
    text = response.get_data(as_text=True)
    assert key.hex() not in text  # the day's data alone is no table to try chips and names against
    assert not any(plain in text for plain in ("Pohl", "4711", "1950", "Petra Pohl"))  # no plain data kept
    assert snapshot["checked_in"] == [] and snapshot["texts"]["not_found"].startswith("Niemand gefunden")
    _send(tablet, _queued(course_day["back"], course_day["petra"]))
    assert tablet.get("/terminal/heute.json").get_json()["checked_in"] == [[course_day["back"], course_day["petra"]]]
    assert app.test_client().get("/terminal/heute.json").status_code == 401  # an unpaired browser gets nothing
    assert "data-identify-key" not in app.test_client().get("/terminal/offline").get_data(as_text=True)
    other, _code = register_and_pair(app, signed_in(app, world.chef_a), key="TAB-02")
    elsewhere = other.get("/terminal/heute.json").get_json()["people"][0]
    assert elsewhere["chip"] != petra["chip"] and elsewhere["salt"] != petra["salt"]  # a key per pairing


@pytest.mark.parametrize("case", TABLE["cases"], ids=lambda case: case.get("last_name") or case["chip"])
def test_the_derivation_matches_the_shared_table_for_what_is_stored_and_typed(case):
    """The portal's side of the table the terminal's JavaScript is checked against too
    (tests/browser/test_terminal_offline.py): stored values and every way of typing them."""
    key, salt = bytes.fromhex(TABLE["key"]), bytes.fromhex(case["salt"])
    assert TABLE["kdf"] == offline.KDF
    if case["kind"] == "chip":
        values = [case["chip"], *(typed.strip() for typed in case["typed"])]
    else:
        values = [offline.person_key(name, case["birth_date"]) for name in (case["last_name"], *case["typed"])]
    assert {offline.derive(key, salt, case["kind"], value) for value in values} == {case["derived"]}


def test_a_queued_check_in_is_applied_once_however_often_it_arrives(app, tablet, course_day):
    item = _queued(course_day["back"], course_day["petra"])
    first = _send(tablet, item)
    assert first.status_code == 200 and first.get_json() == {"id": item["id"], "status": "applied", "known": False}
    again = _send(tablet, item)
    assert again.get_json() == {"id": item["id"], "status": "applied", "known": True}
    assert count_rows(app, Attendance) == 1 and count_rows(app, OfflineCheckIn) == 1
    with app.app_context():
        attendance = db.session.scalars(select(Attendance)).one()
        assert attendance.checked_in_at.astimezone(BERLIN).strftime("%H:%M") == "09:05"  # when it was signed
        assert attendance.terminal_id is not None
        row = db.session.scalars(select(OfflineCheckIn)).one()
        assert row.attendance_id == attendance.id and row.signature_png is None  # the attendance has it


def test_a_check_in_the_rules_refuse_afterwards_waits_in_zu_klaeren(app, tablet, as_user, world, course_day):
    online = _queued(course_day["back"], course_day["petra"], signed_at=_signed_today(8, 55))
    assert _send(tablet, online).get_json()["status"] == "applied"
    springer = _queued(course_day["heart"], course_day["petra"])  # not a member of "Herzsport": needs a reason
    answer = _send(tablet, springer)
    assert answer.status_code == 200 and answer.get_json()["status"] == "open"
    assert _send(tablet, springer).get_json() == {"id": springer["id"], "status": "open", "known": True}
    assert count_rows(app, Attendance) == 1
    chef = as_user(world.chef_a)
    today = chef.get("/kurse/heute").get_data(as_text=True)
    assert "Zu klären" in today and "Petra Pohl gehört nicht zu dieser Gruppe" in today
    with app.app_context():
        row = db.session.scalars(select(OfflineCheckIn).where(OfflineCheckIn.status == OfflineStatus.OPEN)).one()
        png = base64.b64encode(row.signature_png).decode()
        assert png in today  # with its signature
        item_id = row.id
    refused = chef.post(f"/kurse/zu-klaeren/{item_id}/uebernehmen", data={}, headers=HX)
    assert refused.status_code == 422 and "Grund für die Teilnahme als Springer" in refused.get_data(as_text=True)
    taken = chef.post(f"/kurse/zu-klaeren/{item_id}/uebernehmen", data={"springer_reason": "Eigene Gruppe fiel aus"},
                      headers=HX)
    assert taken.status_code == 200 and "als Teilnahme übernommen" in taken.get_data(as_text=True)
    assert "Zu klären" not in chef.get("/kurse/heute").get_data(as_text=True)
    assert count_rows(app, Attendance, Attendance.springer.is_(True)) == 1
    assert count_rows(app, OfflineCheckIn, OfflineCheckIn.need == "springer_reason") == 1  # the reason that was missing
    with app.app_context():
        row = db.session.get(OfflineCheckIn, item_id)
        assert row.status == OfflineStatus.ACCEPTED and row.signature_png is None and row.resolved_by_id
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"checkin.offline_refused", "checkin.offline_accepted"} <= actions
    assert chef.post(f"/kurse/zu-klaeren/{item_id}/verwerfen", data={"note": "x"}, headers=HX).status_code == 422


def test_a_refused_offline_check_in_can_be_left_uncounted_with_a_note(app, tablet, as_user, world, course_day):
    first = _queued(course_day["back"], course_day["petra"])
    second = _queued(course_day["back"], course_day["petra"], signed_at=_signed_today(9, 7))  # signed twice
    assert [_send(tablet, item).get_json()["status"] for item in (first, second)] == ["applied", "open"]
    chef = as_user(world.chef_a)
    with app.app_context():
        item_id = db.session.scalars(select(OfflineCheckIn.id).where(OfflineCheckIn.status == "open")).one()
    empty = chef.post(f"/kurse/zu-klaeren/{item_id}/verwerfen", data={"note": " "}, headers=HX)
    assert empty.status_code == 422 and "warum der Check-in nicht gezählt wird" in empty.get_data(as_text=True)
    long = chef.post(f"/kurse/zu-klaeren/{item_id}/verwerfen", data={"note": "zu lang " * 40}, headers=HX)
    html = long.get_data(as_text=True)
    item_html = html[html.index(f'id="clarify-{item_id}"'):]
    assert long.status_code == 422 and "Höchstens 300 Zeichen." in item_html and "zu lang zu lang" in item_html
    assert "Erneut prüfen und übernehmen" in html  # "already checked in": no reason would help
    done = chef.post(f"/kurse/zu-klaeren/{item_id}/verwerfen", data={"note": "Doppelt unterschrieben"}, headers=HX)
    assert done.status_code == 200 and "wird nicht gezählt" in done.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(OfflineCheckIn, item_id)
        assert (row.status, row.resolution_note, row.signature_png) == (OfflineStatus.DISCARDED,
                                                                        "Doppelt unterschrieben", None)
    assert count_rows(app, Attendance) == 1


def test_another_group_neither_sees_nor_resolves_the_list(app, tablet, as_user, world, course_day):
    _send(tablet, _queued(course_day["heart"], course_day["petra"]))
    with app.app_context():
        item_id = db.session.scalars(select(OfflineCheckIn.id)).one()
    other = signed_in(app, world.chef_b)
    assert "Zu klären" not in other.get("/kurse/heute").get_data(as_text=True)
    assert other.post(f"/kurse/zu-klaeren/{item_id}/uebernehmen", data={}, headers=HX).status_code == 404
    assert other.post(f"/kurse/zu-klaeren/{item_id}/verwerfen", data={"note": "x"}, headers=HX).status_code == 404


@pytest.mark.parametrize("signed_at", [
    "9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "0001-01-01T00:00:00Z",
    "2199-12-31T23:59:59-23:59", "1900-01-01T00:00:00+23:59",
])
def test_a_signing_time_at_the_calendars_ends_is_refused_in_german(app, tablet, course_day, signed_at):
    """Where converting the tablet's time to UTC or to Berlin would leave the calendar: 400, said in German."""
    answer = _send(tablet, _queued(course_day["back"], course_day["petra"], signed_at=signed_at))
    assert answer.status_code == 400 and answer.get_json()["error"] == "bad_request"
    assert answer.get_json()["message"] == "Der Zeitpunkt der Unterschrift ist ungültig."
    assert count_rows(app, OfflineCheckIn) == 0 and count_rows(app, Attendance) == 0


_buffer = io.BytesIO()
Image.frombytes("RGB", (300, 200), os.urandom(300 * 200 * 3)).save(_buffer, "PNG")
_NOISE = _buffer.getvalue()


@pytest.mark.parametrize("change, status", [
    ({"id": "not-a-uuid"}, 400), ({"signature": "data:image/png;base64,AAAA"}, 400), ({"course_id": "x"}, 400),
    ({"course_id": True}, 400), ({"course_id": 10**30}, 400), ({"participant_id": 1.0}, 400),
    ({"signed_at": "gestern"}, 400), ({"signed_at": "2026-11-27T09:00:00"}, 400),  # no time zone
    ({"signed_at": "0001-01-01T00:00:00+00:00"}, 400), ([], 400),
    ({"ticket": None}, 400), ({"ticket": "kaputt"}, 400), ({"ticket": "x" * 201}, 400),
    ({"signed_at": "2020-01-02T09:00:00+00:00"}, 400),  # any time back to 2020, as a probe tried
    ({"signature": "data:image/png;base64," + base64.b64encode(_NOISE).decode()}, 400),  # 180 KB
])
def test_a_replay_no_check_in_can_come_from_is_refused_and_stores_nothing(app, tablet, course_day, change, status):
    item = change if isinstance(change, list) else _queued(course_day["back"], course_day["petra"]) | change
    assert _send(tablet, item).status_code == status
    assert count_rows(app, OfflineCheckIn) == 0 and count_rows(app, Attendance) == 0


def test_replays_are_refused_without_json_from_elsewhere_or_for_another_groups_person(app, tablet, world,
                                                                                     course_day):
    item = _queued(course_day["back"], course_day["petra"])
    assert tablet.post("/terminal/nachtrag", data={"id": item["id"]}).status_code == 400  # a plain form
    assert tablet.post("/terminal/nachtrag", data=json.dumps(item), content_type="application/json",
                       headers={"Origin": "https://evil.example"}).status_code == 400
    assert app.test_client().post("/terminal/nachtrag", data=json.dumps(item),
                                  content_type="application/json").status_code == 401
    with app.app_context():
        group = db.session.get(PracticeGroup, world.group_b)
        stranger = f.participant(group, "Berta", "Süd")
        db.session.commit()
        stranger_id = stranger.id
    assert _send(tablet, _queued(course_day["back"], stranger_id)).status_code == 400  # another group's person
    assert tablet.get("/terminal/heute.json").status_code == 200


def test_a_locked_terminal_hands_over_nothing_and_the_chef_sees_what_it_refused(app, tablet, as_user, world,
                                                                                course_day):
    """After a lock the tablet (or whoever has it) writes nothing, not even what it signed before:
    every attempt is refused and counted, and the terminals page tells the practice."""
    signed_before = _queued(course_day["back"], course_day["petra"], ticket=_ticket(tablet))
    chef = as_user(world.chef_a)
    with app.app_context():
        terminal_id = db.session.scalars(select(Terminal.id)).one()
    clock.set(_at(9, 30))
    chef.post(f"/kurse/terminals/{terminal_id}/sperren", data={})
    clock.set(_at(9, 45))
    for item in (signed_before, signed_before, {"id": str(uuid.uuid4()), "ticket": None}):  # the last as it reports
        answer = _send(tablet, item)
        assert answer.status_code == 403 and answer.get_json()["error"] == "locked"
        assert "gesperrt" in answer.get_json()["message"]
    assert count_rows(app, OfflineCheckIn) == 0 and count_rows(app, Attendance) == 0
    row = chef.get("/kurse/terminals").get_data(as_text=True).split(f'id="terminal-{terminal_id}"')[1]
    assert "3 Übertragungen nach der Sperre abgewiesen (zuletzt" in " ".join(row.split()) and "09:45" in row
    assert tablet.get("/terminal/heute.json").status_code == 403
    page = tablet.get("/terminal")
    assert page.status_code == 403 and 'data-terminal="locked"' in page.get_data(as_text=True)  # forgets its data
    assert "data-identify-key" not in page.get_data(as_text=True)
    help_page = " ".join(chef.get("/hilfe/check-in-ohne-verbindung").get_data(as_text=True).split())
    assert "Ein gesperrtes Terminal übergibt nichts mehr" in help_page  # the rule, written down
    assert "Was ein Tablet ohne Verbindung gespeichert hat" in help_page
    chef.post(f"/kurse/terminals/{terminal_id}/koppeln", data={})  # paired anew: a new lock starts from zero
    with app.app_context():
        assert db.session.get(Terminal, terminal_id).refused_after_lock == 3
    chef.post(f"/kurse/terminals/{terminal_id}/sperren", data={})
    with app.app_context():
        assert db.session.get(Terminal, terminal_id).refused_after_lock == 0


def test_a_check_in_counts_only_inside_the_window_the_tablet_kept(app, tablet, as_user, world, course_day):
    """A tablet can only have signed on a day whose data this pairing was given, after it came:
    the ticket of that day says so, and nothing else takes a check-in."""
    ticket = _ticket(tablet)  # given at nine
    refusals = {
        "yesterday": _queued(course_day["back"], course_day["petra"], signed_at=_days_ago(1), ticket=ticket),
        "before the data came": _queued(course_day["back"], course_day["petra"], signed_at=_signed_today(8, 45),
                                        ticket=ticket),
        "another tablet's": _queued(course_day["back"], course_day["petra"],
                                    ticket=_ticket(register_and_pair(app, as_user(world.chef_a), key="TAB-02")[0])),
    }
    with app.app_context():
        terminal_id = db.session.scalars(select(Terminal.id).where(Terminal.terminal_key == "TAB-01")).one()
    chef = as_user(world.chef_a)
    html = chef.post(f"/kurse/terminals/{terminal_id}/koppeln", data={}).get_data(as_text=True)
    code = re.search(r'<code id="pairing-code">([A-Z0-9]{8})</code>', html).group(1)
    assert tablet.post("/terminal/koppeln", data={"code": code}).status_code == 302  # the same tablet, paired anew
    refusals["an earlier pairing's"] = _queued(course_day["back"], course_day["petra"], ticket=ticket)
    for why, item in refusals.items():
        answer = _send(tablet, item)
        assert answer.status_code == 400, why
        assert answer.get_json()["message"].startswith("Dieser Check-in passt nicht zu den Tagesdaten"), why
    assert count_rows(app, OfflineCheckIn) == 0
    assert _send(tablet, _queued(course_day["back"], course_day["petra"], signed_at=_signed_today(8, 55))).get_json()[
        "status"] == "applied"  # a tablet's clock a few minutes behind is fine


def test_a_tablet_hands_over_at_most_its_daily_cap(app, tablet, course_day):
    app.config["TERMINAL_OFFLINE_DAILY_CAP"] = 2
    first, second = (_queued(course_day["back"], course_day["petra"], signed_at=_signed_today(9, n)) for n in (1, 2))
    assert [_send(tablet, item).status_code for item in (first, second)] == [200, 200]
    third = _send(tablet, _queued(course_day["heart"], course_day["petra"]))
    assert third.status_code == 400 and "schon 2 nachgetragene Check-ins" in third.get_json()["message"]
    assert _send(tablet, first).get_json() == {"id": first["id"], "status": "applied", "known": True}
    assert count_rows(app, OfflineCheckIn) == 2


def test_hand_overs_are_rate_limited_per_tablet(app, tablet, course_day):
    app.config["TERMINAL_REPLAY_LIMIT"] = "2 per minute"
    item = _queued(course_day["back"], course_day["petra"])
    assert [_send(tablet, item).status_code for _ in range(3)] == [200, 200, 429]


def _days_ago(days: int) -> str:
    return (datetime.combine(today_berlin(), time(9), BERLIN) - timedelta(days=days)).isoformat()


def test_a_check_in_signed_on_another_day_or_with_a_clock_ahead_goes_to_zu_klaeren(app, as_user, world,
                                                                                  course_day):
    clock.set(_at(9, days_ago=8))  # a tablet paired a week ago, offline since now and then
    tablet, _code = register_and_pair(app, as_user(world.chef_a))
    late = {}
    for days in (7, 1):  # a week ago (late), yesterday (no course then)
        clock.set(_at(9, days_ago=days))
        late[days] = _queued(course_day["back"], course_day["petra"], signed_at=_at(9, 5, days).isoformat(),
                             ticket=_ticket(tablet))
    clock.set(_at(9))
    ahead = _queued(course_day["back"], course_day["petra"], signed_at=_signed_today(9, 40))  # its clock ran ahead
    for item in (ahead, late[7], late[1]):
        answer = _send(tablet, item).get_json()
        assert answer.get("status") == "open", answer
    with app.app_context():
        messages = sorted(db.session.scalars(select(OfflineCheckIn.message)))
        ids = dict(db.session.execute(select(OfflineCheckIn.day, OfflineCheckIn.id)).all())
    assert any("in der Zukunft" in m for m in messages)
    assert any("findet an diesem Tag nicht statt" in m for m in messages)
    assert any("übertragen erst jetzt" in m for m in messages)  # older than TERMINAL_OFFLINE_DAYS
    chef = as_user(world.chef_a)
    yesterday = chef.post(f"/kurse/zu-klaeren/{ids[today_berlin() - timedelta(days=1)]}/uebernehmen",
                          data={"springer_reason": "x"}, headers=HX)
    assert yesterday.status_code == 422 and "findet an diesem Tag nicht statt" in yesterday.get_data(as_text=True)
    week_ago = chef.post(f"/kurse/zu-klaeren/{ids[today_berlin() - timedelta(days=7)]}/uebernehmen", headers=HX)
    assert week_ago.status_code == 200  # the practice confirms the late one: it counts on its own day
    with app.app_context():
        assert db.session.scalars(select(Attendance)).one().session.day == today_berlin() - timedelta(days=7)
        assert db.session.scalars(select(Prescription.first_session_on)).one() == today_berlin() - timedelta(days=7)


def test_a_participant_erased_takes_the_offline_check_ins_along(app, tablet, as_user, world, course_day):
    _send(tablet, _queued(course_day["heart"], course_day["petra"]))  # refused: waits with a signature
    with app.app_context():
        from portal.checkin import privacy
        from portal.checkin.models import Participant
        person = db.session.get(Participant, course_day["petra"])
        data = privacy.export(person, None, "json")
        assert data["offline_check_ins"][0]["signature_png_base64"]
        assert privacy.erase(person, None) is None  # nothing counted yet: no retention duty
        db.session.commit()
    assert count_rows(app, OfflineCheckIn) == 0


def test_the_same_id_from_two_tablets_is_two_check_ins_of_two_tablets(app, as_user, world, course_day):
    chef = as_user(world.chef_a)
    one, _ = register_and_pair(app, chef, key="TAB-01")
    two, _ = register_and_pair(app, chef, key="TAB-02")
    item = _queued(course_day["back"], course_day["petra"])
    assert _send(one, item).get_json()["status"] == "applied"
    assert _send(two, item).get_json() == {"id": item["id"], "status": "open", "known": False}  # already there
    assert count_rows(app, Attendance) == 1 and count_rows(app, OfflineCheckIn) == 2


def test_the_offline_page_needs_no_pairing_and_the_worker_is_fresh(app):
    client = app.test_client()
    assert client.get("/terminal/offline").status_code == 200
    assert client.get("/terminal/sw.js").headers["Cache-Control"] == "no-cache"


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="concurrent writers: PostgreSQL, as in production")
@pytest.mark.parametrize("same_id", [True, False])
def test_two_arrivals_at_the_same_moment_make_one_attendance(app, tablet, course_day, same_id):
    """The same id twice at once (a resend racing the first answer), or two ids for one person and
    session (two tablets): one attendance; the other finds it or waits under "Zu klären"."""
    with app.app_context():
        terminal_id = db.session.scalars(select(Terminal.id)).one()
    first = _queued(course_day["back"], course_day["petra"], ticket=_ticket(tablet))
    items = [first, first if same_id else _queued(course_day["back"], course_day["petra"], ticket=first["ticket"])]
    barrier, results = threading.Barrier(2), []

    def arrive(item):
        with app.app_context():
            terminal = db.session.get(Terminal, terminal_id)
            queued = offline.Queued.parse(item)
            barrier.wait()
            replayed = offline.replay(terminal, queued)
            results.append((replayed.row.status, replayed.known))
            db.session.commit()

    threads = [threading.Thread(target=arrive, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert count_rows(app, Attendance) == 1
    if same_id:
        assert sorted(known for _, known in results) == [False, True] and count_rows(app, OfflineCheckIn) == 1
    else:
        assert sorted(status.value for status, _ in results) == ["applied", "open"]


def test_a_restricted_persons_late_check_in_is_not_kept(app, tablet, course_day):
    with app.app_context():
        from portal.checkin.models import Participant
        db.session.get(Participant, course_day["petra"]).restricted_at = datetime.now(BERLIN)
        db.session.commit()
    answer = _send(tablet, _queued(course_day["back"], course_day["petra"]))
    assert answer.status_code == 200 and answer.get_json()["status"] == "discarded"
    with app.app_context():
        row = db.session.scalars(select(OfflineCheckIn)).one()
        assert row.signature_png is None and "eingeschränkt" in row.message  # nothing for "Zu klären"
    assert count_rows(app, Attendance) == 0


def test_zu_klaeren_asks_for_the_reason_the_rules_ask_for_now(app, tablet, as_user, world, course_day):
    _send(tablet, _queued(course_day["heart"], course_day["petra"]))  # needs a Springer reason
    with app.app_context():
        item_id = db.session.scalars(select(OfflineCheckIn.id)).one()
        week_start = today_berlin() - timedelta(days=today_berlin().weekday())
        group = db.session.get(PracticeGroup, world.group_a)
        others = [f.course(group, group.practices[0], name=f"Woche {n}", weekday=(week_start + timedelta(days=n))
                           .weekday(), start=time(7)) for n in range(7) if week_start + timedelta(days=n)
                  != today_berlin()][:2]
        for course in others:
            db.session.add(f.CourseMember(course_id=course.id, participant_id=course_day["petra"]))
            f.attendance(course.id, course_day["petra"], day=week_start + timedelta(days=course.weekday))
        db.session.commit()
    chef = as_user(world.chef_a)
    refused = chef.post(f"/kurse/zu-klaeren/{item_id}/uebernehmen", data={"springer_reason": "Vertretung"},
                        headers=HX)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Eine dritte ist nur mit Begründung möglich" in html
    assert "Grund für die dritte Teilnahme in dieser Woche" in html  # the field it needs now is offered …
    assert "Vertretung</textarea>" in html  # … beside the reason typed before
    taken = chef.post(f"/kurse/zu-klaeren/{item_id}/uebernehmen",
                      data={"springer_reason": "Vertretung", "extra_reason": "Nachholtermin"}, headers=HX)
    assert taken.status_code == 200 and count_rows(app, Attendance) == 3
