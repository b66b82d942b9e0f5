"""Bad input from the address bar and from forms: names in any script, huge numbers, the
calendar's ends. Every route answers 404 or a German message, never a server error."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal.checkin.terminal.pairing import register
from portal.extensions import db
from portal.models import Appointment, Attendance, AuditEvent, Course, Licence, Participant, PracticeGroup, Therapist
from portal.tenancy import SEARCH_TEXT_LENGTH
from portal.timeutil import today_berlin

from . import factories as f
from .helpers import HX, count_rows, run_jobs, save_dialog, signed_in

HUGE = "9" * 25
IDS = ("0", "-1", HUGE, "abc")
DAYS = ("0001-01-01", "9999-12-31", "0000-00-00", "2026-13-45")
MONTHS = ("9999-12", "0000-01", "2026-00", "kaputt")
NAMES = ("Łukasz", "Şahin", "Светлана", "a&b#c", "x\r\ny", "a b%2F?")


def _pushed_query(response) -> str:
    """The q of the address htmx was told to push; the header itself must be plain ASCII."""
    value = response.headers["HX-Push-Url"]
    assert value.isascii() and "\r" not in value and "\n" not in value, value
    return parse_qs(urlsplit(value).query).get("q", [""])[0]


@pytest.mark.parametrize("name", NAMES)
def test_support_search_pushes_an_encoded_address_for_any_name(as_user, world, name):
    response = as_user(world.support).get("/support/suche", query_string={"q": name}, headers=HX)
    assert response.status_code == 200
    assert _pushed_query(response) == name.strip()


@pytest.mark.parametrize("name", NAMES)
def test_the_therapist_list_pushes_an_encoded_address_for_any_name(as_user, world, name):
    headers = {**HX, "HX-Target": "therapist-table", "HX-Trigger": "filter-form"}
    response = as_user(world.chef_a).get("/therapeuten", query_string={"q": name}, headers=headers)
    assert response.status_code == 200 and _pushed_query(response) == name.strip()


def test_an_empty_search_pushes_the_plain_console_address(as_user, world):
    assert as_user(world.support).get("/support/suche?q=", headers=HX).headers["HX-Push-Url"] == "/support"


@pytest.mark.parametrize("path", [
    f"/therapeuten/{HUGE}", f"/therapeuten/{HUGE}/termine", f"/kurse/teilnehmer/{HUGE}", f"/scripts/laeufe/{HUGE}",
    f"/praxisgruppe/praxen/{HUGE}/bearbeiten", f"/support/gruppen/{HUGE}", f"/support/therapeuten/{HUGE}",
    f"/kurse/{HUGE}/anwesenheit",
])
def test_an_id_of_25_digits_answers_404(as_user, world, path):
    client = as_user(world.support if path.startswith("/support") else world.chef_a)
    assert client.get(path).status_code == 404


def test_a_licence_post_for_a_25_digit_group_answers_404(app, as_user, world):
    before = count_rows(app, Licence), count_rows(app, AuditEvent)
    response = as_user(world.support).post(f"/support/gruppen/{HUGE}/lizenzen/app",
                                           data={"app-valid_from": "2026-01-01"})
    assert response.status_code == 404
    assert (count_rows(app, Licence), count_rows(app, AuditEvent)) == before


@pytest.mark.parametrize("path", ["/therapeuten", "/mail-protokoll", "/protokoll"])
def test_a_page_number_of_25_digits_shows_the_first_page_and_says_so(as_user, world, path):
    response = as_user(world.chef_a).get(f"{path}?page={HUGE}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "wurden nicht berücksichtigt: Seite" in html


def test_a_foreign_or_huge_filter_id_is_ignored_and_named(as_user, world):
    html = as_user(world.chef_a).get(f"/therapeuten?practice={HUGE}").get_data(as_text=True)
    assert "Schmidt, Anna" in html and "wurden nicht berücksichtigt: Praxis" in html
    html = as_user(world.chef_a).get(f"/mail-protokoll?therapist={HUGE}").get_data(as_text=True)
    assert "wurden nicht berücksichtigt: Therapeut" in html


@pytest.mark.parametrize("query", ["since=0001-01-01", "until=9999-12-31", f"therapist={HUGE}", f"group={HUGE}"])
def test_the_audit_log_names_a_filter_it_cannot_use_and_its_csv_refuses_it(as_user, world, query):
    client = as_user(world.support)
    html = client.get(f"/protokoll?{query}").get_data(as_text=True)
    assert "wurden nicht berücksichtigt" in html
    response = client.get(f"/protokoll/export.csv?{query}")
    assert response.status_code == 400 and "Der Filter enthält ungültige Angaben" in response.get_data(as_text=True)


ODD_MONTHS = ("0000-01", "0000-00", "9999-12", "2026-13", "-001-01", "99999-01", "\uff12\uff10\uff12\uff16-01",
              "2026-1", "2026-01-01", "kaputt")


@pytest.mark.parametrize("month", ODD_MONTHS)
def test_a_month_out_of_range_is_named_on_every_page_and_refused_by_every_download(app, as_user, world, month):
    """One month parser for every ``monat`` of a URL: a month it does not understand is named on
    the pages (which show the current month) and refused in German by the downloads."""
    with app.app_context():
        course_id = f.course(db.session.get(PracticeGroup, world.group_a), f.practice(
            db.session.get(PracticeGroup, world.group_a))).id
        db.session.commit()
    client = as_user(world.chef_a)
    for path in ("/kurse/anwesenheit", f"/kurse/{course_id}/anwesenheit"):
        response = client.get(path, query_string={"monat": month})
        assert response.status_code == 200, path
        assert "wurden nicht berücksichtigt: Monat" in response.get_data(as_text=True), path
    chosen = client.get("/kurse/anwesenheit/anzeigen", query_string={"kurs": course_id, "monat": month})
    assert chosen.status_code == 302  # the list it leads to names the month it could not use
    assert "wurden nicht berücksichtigt: Monat" in client.get(chosen.location).get_data(as_text=True)
    for download in ("csv", "pdf"):
        response = client.get(f"/kurse/{course_id}/anwesenheit.{download}", query_string={"monat": month})
        assert response.status_code == 400 and "Diesen Monat gibt es nicht" in response.get_data(as_text=True)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_an_appointment_at_the_calendars_end_is_refused_in_german(app, as_user, world, day):
    response = as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}/termine", headers=HX, data={
        "title": "KG", "day": day, "start": "09:00", "duration_minutes": "30", "practice_id": str(world.practice_a1)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte geben Sie ein Datum zwischen dem 01.01.1900 und dem 31.12.2199 ein." in html
    with app.app_context():
        assert db.session.scalars(select(Appointment)).all() == []


def test_a_birth_date_in_the_future_is_refused(app, as_user, world):
    response = as_user(world.chef_a).post("/kurse/teilnehmer", headers=HX, data={
        "first_name": "Zu", "last_name": "Früh", "birth_date": "2999-01-01"})
    assert response.status_code == 422 and "Bitte geben Sie ein Datum zwischen" in response.get_data(as_text=True)
    assert count_rows(app, Participant, last_name="Früh") == 0


@pytest.fixture
def course_today(app, world):
    with app.app_context():
        ids = f.course_day(world.group_a, world.practice_a1)
        terminal, pairing = None, None
        with app.test_request_context():
            terminal, pairing = register(world.group_a, "Tresen", "T-1", None)
        db.session.commit()
        return ids, pairing.code


@pytest.mark.parametrize("participant_id", ["abc", "", HUGE, "-1", "1.5", "²"])
def test_a_check_in_for_a_participant_id_that_is_no_id(app, as_user, world, course_today, participant_id):
    ids, code = course_today
    tablet = app.test_client()
    assert tablet.post("/terminal/koppeln", data={"code": code}).status_code == 302
    for field in ("participant_id", "ticket"):  # the terminal takes the person from its signed ticket only
        response = tablet.post(f"/terminal/kurs/{ids['back']}/einchecken", data={field: participant_id})
        assert response.status_code == 422 and "Die Anmeldung ist abgelaufen" in response.get_data(as_text=True)
    response = as_user(world.chef_a).post(f"/kurse/heute/{ids['back']}/einchecken", headers=HX,
                                          data={"participant_id": participant_id})
    assert response.status_code == 422 and "Bitte wählen Sie eine Person." in response.get_data(as_text=True)


def test_names_that_grow_when_folded_are_saved_and_found(app, as_user, world):
    ligatures = "ﬃ" * 80  # each folds to "ffi": 240 characters from 80
    response = as_user(world.chef_a).post("/therapeuten", headers=HX, data={
        "first_name": ligatures, "last_name": ligatures, "email": "ligatur@praxis.example"})
    assert response.status_code == 200
    with app.app_context():
        therapist = db.session.scalar(select(Therapist).where(Therapist.email == "ligatur@praxis.example"))
        assert therapist.first_name == ligatures and len(therapist.search_text) <= SEARCH_TEXT_LENGTH
    assert "1 Therapeut" in as_user(world.chef_a).get("/therapeuten?q=ffiffi").get_data(as_text=True)


# --- the crawl: every route of the URL map with boundary values ---------------------------------------

def _fill(rule: str, value: str) -> str:
    path = re.sub(r"<any\(([^,)]+)[^>]*>", lambda m: m.group(1).strip(), rule)
    return re.sub(r"<(?:int:)?[a-z_]+>", value, path)


def _form_values(value: str, day: str) -> dict:
    names = ("participant_id", "course_id", "practice_id", "practices", "units_approved", "valid_months",
             "duration_minutes", "weekday", "therapist", "page")
    dates = ("day", "birth_date", "valid_from", "valid_until", "app-valid_from", "app-valid_until", "since", "until")
    return {**{name: value for name in names}, **{name: day for name in dates}, "start": "25:99", "monat": "9999-99",
            "first_name": "X", "last_name": "Y", "title": "T", "name": "N", "key": "K", "email": "a@b.de",
            "reason": "r", "code": value, "chip": value, "kind": "rehasport", "q": value}


def _crawl(app, world, code):
    """(client, method, path-with-value) for every route of the URL map, as chef, support, the
    terminal and nobody (each where it belongs), with a function filling in a value."""
    clients = {"chef": signed_in(app, world.chef_a), "support": signed_in(app, world.support),
               "anonymous": app.test_client(), "terminal": app.test_client()}
    assert clients["terminal"].post("/terminal/koppeln", data={"code": code}).status_code == 302
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in ("static", "auth.logout")]
    visits = []
    for rule in rules:
        who = ["terminal"] if rule.rule.startswith("/terminal") else (
            ["support"] if rule.rule.startswith("/support") else ["chef", "anonymous"])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            visits.extend((clients[name], name, method, rule.rule) for name in who)
    return clients, visits


def _query(value: str, day: str, month: str) -> dict:
    return {"page": value, "practice": value, "therapist": value, "group": value, "since": day, "until": day,
            "monat": month, "q": value}


def test_no_route_answers_500_to_boundary_values(app, world, course_today):
    """Every route of the URL map, every id in it 0, -1, 25 digits or letters, queries and forms
    with the same and the calendar's ends, as chef, support, the terminal and nobody."""
    clients, visits = _crawl(app, world, course_today[1])
    checked, failures = 0, []
    for client, name, method, rule in visits:
        for value, day, month in zip(IDS, DAYS, MONTHS, strict=True):
            path = _fill(rule, value)
            response = client.open(path, method=method, query_string=_query(value, day, month),
                                   data=_form_values(value, day) if method == "POST" else None)
            checked += 1
            if response.status_code >= 500:
                failures.append(f"{method} {path} as {name}: {response.status_code}")
    assert failures == []
    assert checked > 300
    assert clients["chef"].get("/therapeuten").status_code == 200  # still signed in: the crawl saw the pages


def _with_a_nul_second(values: dict) -> MultiDict:
    """Every key twice: its value, then one with a NUL byte in it (the guard must read both)."""
    return MultiDict([pair for key, value in values.items() for pair in ((key, value), (key, f"{value}\x00"))])


def test_no_route_takes_a_nul_byte_in_the_second_value_of_a_key(app, world, course_today):
    """The same crawl with every query and form key sent twice, the second value with a NUL byte
    (PostgreSQL refuses NUL in text): every route refuses the request in German, nothing changes."""
    clients, visits = _crawl(app, world, course_today[1])
    with app.app_context():
        events = db.session.scalar(select(func.count(AuditEvent.id)))
    wrong = []
    for client, name, method, rule in visits:
        path = _fill(rule, "1")
        query = _with_a_nul_second(_query("1", "2026-01-01", "2026-01"))
        response = client.open(path, method=method, query_string=query,
                               data=_with_a_nul_second(_form_values("1", "2026-01-01")) if method == "POST" else None)
        if response.status_code != 400:
            wrong.append(f"{method} {path} as {name}: {response.status_code}")
    assert wrong == []
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id))) == events
    assert clients["chef"].get("/therapeuten").status_code == 200


@pytest.mark.parametrize("query", [[("q", "Anna"), ("q", "a\x00")], [("q", "Anna"), ("q\x00", "x")]])
def test_a_nul_byte_in_any_value_or_name_of_the_query_is_refused_in_german(as_user, world, query):
    response = as_user(world.chef_a).get("/therapeuten", query_string=MultiDict(query))
    assert response.status_code == 400 and "Steuerzeichen" in response.get_data(as_text=True)


def test_a_nul_byte_in_the_second_value_of_a_form_field_saves_nothing(app, as_user, world):
    form = MultiDict([("first_name", "Nele"), ("first_name", "Ne\x00le"), ("last_name", "Neu"),
                      ("email", "nele@praxis.example"), ("practices", str(world.practice_a1)),
                      ("practices", f"{world.practice_a2}\x00")])
    response = as_user(world.chef_a).post("/therapeuten", data=form, headers=HX)
    assert response.status_code == 400 and "Steuerzeichen" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Therapist).where(Therapist.email == "nele@praxis.example")) is None


@pytest.mark.parametrize("day", DAYS)
def test_course_weekdays_and_times_out_of_range_are_refused(app, as_user, world, day):
    response = as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}/kurse", headers=HX, data={
        "kind": "rehasport", "name": "Kurs", "weekday": "9", "start_time": "25:00", "duration_minutes": "45",
        "practice_id": str(world.practice_a1)})
    assert response.status_code == 422
    assert count_rows(app, Course, name="Kurs") == 0


def test_todays_course_is_found_and_another_weekday_is_404(app, as_user, world, course_today):
    ids, _code = course_today
    with app.app_context():
        other = db.session.get(Course, ids["heart"])
        other.weekday = (today_berlin().weekday() + 1) % 7
        db.session.commit()
    client = as_user(world.chef_a)
    assert client.post(f"/kurse/heute/{ids['heart']}/einchecken", data={}).status_code == 404
    assert count_rows(app, Attendance) == 0


def test_a_page_past_the_end_shows_the_last_page(app, as_user, world, smtp_sink):
    client = as_user(world.chef_a)
    save_dialog(app, client, world.therapist_a, app_enabled="y")
    run_jobs(app)
    mails = client.get("/mail-protokoll?page=100000").get_data(as_text=True)
    assert "anna.schmidt@praxis.example" in mails and "Noch keine E-Mail mit Zugangscode" not in mails
    log = client.get("/protokoll?page=99999").get_data(as_text=True)
    assert "App aktiviert" in log and "Keine Einträge" not in log


def test_a_nul_byte_in_the_browsers_name_does_not_stop_a_sign_in(app, client, world):
    """The session list keeps the browser's name (User-Agent): a NUL in it is dropped, not stored."""
    response = client.post("/anmelden", data={"email": world.chef_a, "password": f.PASSWORD},
                           headers={"User-Agent": "Mozilla/5.0\x00 (X11)"})
    assert response.status_code == 302
    with app.app_context():
        from portal.auth.models import UserSession
        assert db.session.scalars(select(UserSession.user_agent)).one() == "Mozilla/5.0 (X11)"
