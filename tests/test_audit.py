"""The Protokoll in words a practice understands: every action and every detail the portal records
in German, ids shown as the names they stand for, the participant named in check-in entries."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from sqlalchemy import select

from portal.audit_log.labels import ACTIONS, DETAILS, HIDDEN
from portal.checkin.records import add_membership
from portal.checkin.services import cancel_attendance, check_in
from portal.extensions import db
from portal.models import Course, Participant, Therapist, User
from portal.therapists.services import Withdrawal, withdraw_authorisation
from portal.timeutil import today_berlin

from . import factories as f
from .helpers import SIGNATURE_PNG

PORTAL = Path(__file__).resolve().parents[1] / "portal"


def _recorded() -> tuple[set[str], set[str]]:
    """Every action and every detail key the portal's ``record(...)`` calls write (read from the
    source, so a new one without words fails here), plus the fields of "Berechtigung entziehen"."""
    actions, keys = set(), {field.name for field in dataclasses.fields(Withdrawal)}
    for path in PORTAL.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record"):
                continue
            if node.args and isinstance(node.args[0], ast.Constant):
                actions.add(node.args[0].value)
            elif node.args and isinstance(node.args[0], ast.IfExp):
                actions |= {part.value for part in (node.args[0].body, node.args[0].orelse)}
            for keyword in node.keywords:
                if keyword.arg == "details" and isinstance(keyword.value, ast.Dict):
                    keys |= {key.value for key in keyword.value.keys if isinstance(key, ast.Constant)}
    return actions, keys


def test_every_action_and_detail_the_portal_records_has_german_words():
    actions, keys = _recorded()
    assert len(actions) > 50 and len(keys) > 50  # the walk found the calls
    assert sorted(actions - ACTIONS.keys()) == []
    assert sorted(keys - DETAILS.keys() - HIDDEN) == []


def test_the_protokoll_names_people_and_says_every_detail_in_german(app, as_user, world):
    """Issue 24, item 7: "Teilnehmer: 4; Kurs: 5", "app_was_enabled: ja; codes_voided: 0"."""
    with app.app_context():
        ids = f.course_day(world.group_a, world.practice_a1)
        chef = db.session.scalar(select(User).where(User.email == world.chef_a))
        chef.name = "Claudia Sommer"
        petra = db.session.get(Participant, ids["petra"])
        heart = db.session.get(Course, ids["heart"])
        cancel_attendance(check_in(petra, db.session.get(Course, ids["back"]), today_berlin(), SIGNATURE_PNG,
                                   user=chef).attendance, "Versehen", chef)
        add_membership(petra, heart, chef)
        anna = db.session.get(Therapist, world.therapist_a)
        f.device(anna, name="iPhone von Anna")
        withdraw_authorisation(anna, "Praxis verlassen", chef)
        db.session.commit()
    page = as_user(world.chef_a).get("/protokoll").get_data(as_text=True)
    for internal in ("app_was_enabled", "codes_voided", "devices_revoked", "Teilnehmer: ", "Kurs: " + str(ids["heart"]),
                     "Teilnahme:", "Kurstermin: 1", "Springer: nein"):
        assert internal not in page, internal
    assert "App war aktiviert:</span> nein" in page and "abgemeldete Geräte:</span> 1" in page
    assert "Grund:</span> Praxis verlassen" in page and "Anna Schmidt" in page
    checked_in = page.split('data-action="checkin.recorded"')[1].split("</tr>")[0]
    assert "Petra Pohl" in checked_in and f"/kurse/teilnehmer/{ids['petra']}" in checked_in  # named, linked
    assert f"Rücken fit am {today_berlin():%d.%m.%Y}, 09:00 Uhr" in checked_in
    assert "Kurs:</span> Herzsport" in page.split('data-action="course_member.added"')[1].split("</tr>")[0]
    assert "Claudia Sommer" in page and "Praxisleitung" in page  # who, by name and role
    assert "Praxisgruppe Nord</td>" not in page  # a chef's log is their group's: no column saying so


def test_the_protokoll_filters_by_a_persons_name_too(app, as_user, world):
    with app.app_context():
        chef = db.session.scalar(select(User).where(User.email == world.chef_a))
        chef.name = "Claudia Sommer"
        withdraw_authorisation(db.session.get(Therapist, world.therapist_a), "Praxis verlassen", chef)
        db.session.commit()
    client = as_user(world.chef_a)
    assert "Berechtigung entzogen" in client.get("/protokoll?actor=sommer").get_data(as_text=True)
    assert "Keine Einträge" in client.get("/protokoll?actor=niemand").get_data(as_text=True)
