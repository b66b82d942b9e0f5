"""Check-in rules (framework agreement on Rehasport and Funktionstraining), through the one service."""

import base64
import io
import os
from datetime import date, time, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.checkin.models import Attendance, CourseMember, CourseSession, Participant, Prescription
from portal.checkin.services import (
    CheckInRefused,
    check_in,
    decode_signature,
    find_participant,
    look_ahead,
    preview,
)
from portal.extensions import db
from portal.models import Course, CourseKind, PracticeGroup

from . import factories as f
from .helpers import SIGNATURE_PNG, signature_pad_png

MONDAY = date(2026, 11, 23)


@pytest.fixture
def setup(app, world):
    """Two Rehasport groups and a Funktionstraining group in group A; Petra is a member of "Rücken"."""
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        practice = g.practices[0]
        back = f.course(g, practice, name="Rücken", weekday=0, start=time(9))
        heart = f.course(g, practice, name="Herz", weekday=0, start=time(11), capacity=3)
        water = f.course(g, practice, name="Wasser", weekday=1, start=time(17), kind=CourseKind.FUNKTIONSTRAINING)
        petra = f.participant(g, chip_id="CHIP-0001", member_of=back)
        db.session.commit()
        return {"back": back.id, "heart": heart.id, "water": water.id, "petra": petra.id, "group": g.id}


def _check_in(app, ids, course="back", day=MONDAY, **kwargs):
    with app.app_context():
        participant = db.session.get(Participant, ids["petra"])
        result = check_in(participant, db.session.get(Course, ids[course]), day, SIGNATURE_PNG, **kwargs)
        db.session.commit()
        return result.remaining_units, result.expires_on, result.attendance.springer


def _refusal(app, ids, **kwargs) -> CheckInRefused:
    with pytest.raises(CheckInRefused) as refused:
        _check_in(app, ids, **kwargs)
    return refused.value


def test_a_member_checks_in_and_a_unit_is_counted(app, setup):
    remaining, expires, springer = _check_in(app, setup)
    assert (remaining, expires, springer) == (49, date(2028, 5, 23), False)  # 18 months from the first session


def test_the_same_session_twice_is_refused(app, setup):
    _check_in(app, setup)
    assert "bereits eingecheckt" in _refusal(app, setup).message


def test_units_count_down_to_zero_and_then_refuse(app, setup):
    with app.app_context():
        db.session.scalars(select(Prescription)).one().units_approved = 3
        db.session.commit()
    remaining = [_check_in(app, setup, day=MONDAY + timedelta(weeks=w))[0] for w in range(3)]
    assert remaining == [2, 1, 0]
    assert _refusal(app, setup, day=MONDAY + timedelta(weeks=3)).message == \
        "Auf der Verordnung sind keine Einheiten mehr übrig."


def test_an_expired_prescription_is_refused(app, setup):
    _check_in(app, setup)
    refused = _refusal(app, setup, day=date(2028, 5, 29))
    assert refused.message == "Die Verordnung ist am 23.05.2028 abgelaufen."


def test_without_a_prescription_of_the_type_it_is_refused(app, setup):
    with app.app_context():
        db.session.add(CourseMember(course_id=setup["water"], participant_id=setup["petra"]))
        db.session.commit()
    assert "Für Funktionstraining liegt keine Verordnung vor." == _refusal(
        app, setup, course="water", day=MONDAY + timedelta(days=1)).message


def test_two_sessions_a_week_and_a_third_only_with_a_reason(app, setup):
    _check_in(app, setup, day=MONDAY)
    _check_in(app, setup, course="heart", day=MONDAY, springer_reason="Termin verlegt")
    with app.app_context():
        g = db.session.get(PracticeGroup, setup["group"])
        extra = f.course(g, g.practices[0], name="Samstag", weekday=5, start=time(10))
        db.session.add(CourseMember(course_id=extra.id, participant_id=setup["petra"]))
        db.session.commit()
        setup["sat"] = extra.id
    saturday = MONDAY + timedelta(days=5)  # the same week
    refused = _refusal(app, setup, course="sat", day=saturday)
    assert refused.need == "extra_reason" and "nur mit Begründung" in refused.message
    assert _check_in(app, setup, course="sat", day=saturday, extra_reason="Nachholtermin")[0] == 47
    with app.app_context():
        assert db.session.scalars(select(Attendance.extra_reason).where(Attendance.extra_reason.is_not(None))).one() \
            == "Nachholtermin"


def test_a_springer_needs_a_reason_and_room_and_is_marked(app, setup):
    refused = _refusal(app, setup, course="heart")
    assert refused.need == "springer_reason" and "Grund für die Teilnahme als Springer" in refused.message
    remaining, _, springer = _check_in(app, setup, course="heart", springer_reason="Eigener Termin fällt aus")
    assert springer is True and remaining == 49
    with app.app_context():
        attendance = db.session.scalars(select(Attendance)).one()
        assert attendance.springer and attendance.springer_reason == "Eigener Termin fällt aus"


def test_a_full_session_takes_no_springer(app, setup):
    with app.app_context():
        g, heart = db.session.get(PracticeGroup, setup["group"]), db.session.get(Course, setup["heart"])
        for n in range(3):  # the "Herz" group has 3 places and 3 members
            f.participant(g, "M", f"Mitglied{n}", member_of=heart)
        db.session.commit()
    refused = _refusal(app, setup, course="heart", springer_reason="Ersatz")
    assert "Dieser Termin ist voll (3 Plätze)" in refused.message


def test_a_springer_must_belong_to_a_group_of_the_same_type(app, setup):
    with app.app_context():
        db.session.add(Prescription(group_id=setup["group"], participant_id=setup["petra"],
                                    kind=CourseKind.FUNKTIONSTRAINING, units_approved=10))
        db.session.commit()
    refused = _refusal(app, setup, course="water", day=MONDAY + timedelta(days=1), springer_reason="x")
    assert refused.message == "Petra Pohl ist in keiner Funktionstraining-Gruppe eingetragen."


def test_the_refusals_record_nothing_not_even_a_session(app, setup):
    for kwargs in ({"course": "heart"}, {"course": "water", "day": MONDAY + timedelta(days=1)}):
        with pytest.raises(CheckInRefused):
            _check_in(app, setup, **kwargs)
    with app.app_context():
        assert db.session.scalar(select(func.count(Attendance.id))) == 0
        assert db.session.scalar(select(func.count(CourseSession.id))) == 0


def test_the_look_ahead_before_signing_names_what_to_ask_and_records_nothing(app, setup):
    with app.app_context():
        petra, heart = db.session.get(Participant, setup["petra"]), db.session.get(Course, setup["heart"])
        assert preview(petra, heart, MONDAY).need == "springer_reason"
        assert preview(petra, db.session.get(Course, setup["back"]), MONDAY) is None
        db.session.commit()
        assert db.session.scalar(select(func.count(CourseSession.id))) == 0


def test_the_portals_look_ahead_names_every_reason_the_rules_ask_for(app, setup):
    """Issue 24, item 13: the portal shows a reason field only when the rules ask for it; a
    Springer's third check-in in a week asks for both."""
    _check_in(app, setup, day=MONDAY)
    _check_in(app, setup, course="heart", day=MONDAY, springer_reason="Termin verlegt")
    with app.app_context():
        g = db.session.get(PracticeGroup, setup["group"])
        friday = f.course(g, g.practices[0], name="Freitag", weekday=4, start=time(10))
        petra, back = db.session.get(Participant, setup["petra"]), db.session.get(Course, setup["back"])
        assert look_ahead(petra, back, MONDAY + timedelta(weeks=1)) == (None, [])
        assert look_ahead(petra, friday, MONDAY + timedelta(days=4)) == (None, ["extra_reason", "springer_reason"])
        refusal, needs = look_ahead(petra, db.session.get(Course, setup["water"]), MONDAY + timedelta(days=1))
        assert refusal == "Für Funktionstraining liegt keine Verordnung vor." and needs == []
        assert look_ahead(petra, back, MONDAY)[0] == "Petra Pohl ist für diesen Termin bereits eingecheckt."


def test_the_first_check_in_of_a_day_creates_its_session_and_the_next_ones_join_it(app, setup):
    with app.app_context():
        g, back = db.session.get(PracticeGroup, setup["group"]), db.session.get(Course, setup["back"])
        otto = f.participant(g, "Otto", "Ortmann", member_of=back)
        db.session.commit()
        otto_id = otto.id
    _check_in(app, setup)
    _check_in(app, {**setup, "petra": otto_id})
    with app.app_context():
        session = db.session.scalars(select(CourseSession)).one()
        assert (session.course_id, session.day) == (setup["back"], MONDAY)
        assert db.session.scalar(select(func.count(Attendance.id)).where(Attendance.session_id == session.id)) == 2


def test_participants_are_found_by_chip_or_by_name_and_birth_date(app, setup):
    with app.app_context():
        assert find_participant(setup["group"], chip=" CHIP-0001 ").id == setup["petra"]
        assert find_participant(setup["group"], last_name="pohl", birth_date=date(1950, 5, 1)).id == setup["petra"]
        assert find_participant(setup["group"], last_name="Pohl", birth_date=date(1950, 5, 2)) is None
        assert find_participant(setup["group"] + 1, chip="CHIP-0001") is None


def test_signatures_must_be_png_data_urls(app):
    with app.test_request_context():
        png = decode_signature("data:image/png;base64," + base64.b64encode(SIGNATURE_PNG).decode())
        assert png == SIGNATURE_PNG
        noise = io.BytesIO()
        Image.frombytes("RGB", (300, 200), os.urandom(300 * 200 * 3)).save(noise, "PNG")  # 180 KB
        for bad in ("", "data:image/png;base64,!!!", "data:image/jpeg;base64,AAAA",
                    "data:image/png;base64," + base64.b64encode(b"GIF89a").decode(),
                    "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nkein Bild").decode(),
                    "data:image/png;base64," + base64.b64encode(noise.getvalue()).decode(),  # too many bytes
                    "data:image/png;base64," + base64.b64encode(signature_pad_png(5000, 100)).decode()):  # too wide
            with pytest.raises(CheckInRefused):
                decode_signature(bad)

