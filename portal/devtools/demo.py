"""Demo data: one practice group with two practices, 15 therapists, appointments, courses, one user per role."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..auth.models import Role, User
from ..calendars import address as addresses
from ..calendars.models import CalendarKind, CalendarSubscription
from ..checkin.models import CourseMember, Participant, Prescription
from ..extensions import db
from ..schedule.models import Appointment, Course, CourseKind
from ..tenancy import Licence, LicenceKind, Practice, PracticeGroup, Therapist
from ..timeutil import as_utc, today_berlin, utcnow
from . import demo_calendar

GROUP_NAME = "Praxisgruppe Sonnenhof"
PASSWORD = "demo-passwort-2026"
USERS = (
    ("chef@sonnenhof.example", Role.CHEF),
    ("empfang@sonnenhof.example", Role.THERAPEUT),
    ("support@kundenservice.example", Role.SUPPORT),
)
NAMES = {"chef@sonnenhof.example": "Claudia Sommer", "empfang@sonnenhof.example": "Tim Berger",
         "support@kundenservice.example": "Sven Kundendienst"}
THERAPISTS = [
    ("Anna", "Schmidt", True, True), ("Jonas", "Becker", True, True), ("Lea", "Wagner", False, True),
    ("Maximilian", "Hoffmann", True, True), ("Sophie", "Schulz", False, True), ("Paul", "Koch", False, False),
    ("Marie", "Richter", True, True), ("Felix", "Klein", False, True), ("Emma", "Wolf", False, True),
    ("Lukas", "Neumann", False, False), ("Hannah", "Schwarz", True, True), ("Elias", "Zimmermann", False, True),
    ("Mia", "Braun", False, True), ("Noah", "Krüger", False, True), ("Lina", "Hofmann", False, False),
]
COURSES = [
    ("Rücken fit", CourseKind.REHASPORT, 0, time(9, 0)),
    ("Wassergymnastik", CourseKind.FUNKTIONSTRAINING, 1, time(17, 30)),
    ("Herzsport", CourseKind.REHASPORT, 2, time(18, 0)),
    ("Gelenkschonendes Training", CourseKind.FUNKTIONSTRAINING, 3, time(10, 0)),
]


def _ascii(name: str) -> str:
    return name.lower().replace("ü", "ue").replace("ö", "oe").replace("ä", "ae").replace("ß", "ss")


def load_demo_data() -> PracticeGroup:
    """Create the demo group and users unless they exist; running it twice changes nothing."""
    group = db.session.scalar(select(PracticeGroup).where(PracticeGroup.name == GROUP_NAME))
    if group is None:
        group = _create_group()
    for email, role in USERS:
        if db.session.scalar(select(User).where(User.email == email)) is None:
            user = User(email=email, name=NAMES[email], role=role, group_id=None if role == Role.SUPPORT else group.id)
            user.set_password(PASSWORD)
            db.session.add(user)
    db.session.commit()
    return group


def _create_group() -> PracticeGroup:
    group = PracticeGroup(name=GROUP_NAME)
    group.licences = [
        Licence(kind=kind, valid_from=date(2026, 1, 1), valid_until=date(2027, 12, 31)) for kind in LicenceKind
    ]
    practices = [
        Practice(name="Praxis am Markt", street="Alter Markt 12", postcode="50667", city="Köln", ik="590531013"),
        Practice(name="Praxis am Rheinufer", street="Brassertufer 3", postcode="53111", city="Bonn", ik="590522078"),
    ]
    group.practices = practices
    db.session.add(group)
    db.session.flush()
    today = today_berlin()
    therapists = []
    for index, (first, last, app_enabled, has_schedule) in enumerate(THERAPISTS):
        email = None if last == "Hofmann" else f"{_ascii(first)}.{_ascii(last)}@sonnenhof.example"
        therapist = Therapist(
            group_id=group.id, first_name=first, last_name=last, email=email, app_enabled=app_enabled,
            practices=practices if index % 4 == 0 else [practices[index % 2]],
        )
        db.session.add(therapist)
        therapists.append((therapist, has_schedule))
    db.session.flush()
    for index, (therapist, has_schedule) in enumerate(therapists):
        if not has_schedule:
            continue
        for offset in range(-2, 5):
            day = today + timedelta(days=offset)
            db.session.add(
                Appointment(
                    group_id=group.id, therapist=therapist, practice=therapist.practices[0],
                    title=("Krankengymnastik", "Manuelle Therapie", "Lymphdrainage")[offset % 3],
                    starts_at=as_utc(datetime.combine(day, time(8 + (index + offset) % 9, 0))),
                    duration_minutes=30,
                )
            )
    courses = [
        Course(group_id=group.id, practice=practices[index % 2], therapist=therapists[index * 3][0],
               kind=kind, name=name, weekday=weekday, start_time=start, duration_minutes=45, capacity=15)
        for index, (name, kind, weekday, start) in enumerate(COURSES)
    ]
    # a course today, so the check-in terminal has something to show
    courses.append(Course(group_id=group.id, practice=practices[0], therapist=therapists[0][0],
                          kind=CourseKind.REHASPORT, name="Wirbelsäulengymnastik", weekday=today.weekday(),
                          start_time=time(10, 0), duration_minutes=45, capacity=15))
    db.session.add_all(courses)
    db.session.flush()
    for number, (first, last) in enumerate((("Petra", "Pohl"), ("Horst", "Hahn"), ("Ute", "Urban")), start=1):
        person = Participant(group_id=group.id, first_name=first, last_name=last,
                             birth_date=date(1948 + number * 3, number, 10 + number), chip_id=f"100{number}")
        db.session.add(person)
        db.session.flush()
        db.session.add(Prescription(group_id=group.id, participant_id=person.id, kind=CourseKind.REHASPORT,
                                    units_approved=50, valid_months=18, payer="AOK Rheinland"))
        db.session.add(CourseMember(course_id=courses[-1].id, participant_id=person.id))
    return group


def connect_demo_calendar(address: str) -> int:
    """Subscribe the demo therapist to the sample calendar ``bin/run`` serves at ``address`` (its
    port changes per start, so the address is set again each time); returns the calendar's id."""
    group = db.session.scalar(select(PracticeGroup).where(PracticeGroup.name == GROUP_NAME))
    first, last = demo_calendar.THERAPIST
    therapist = db.session.scalar(select(Therapist).where(Therapist.group_id == group.id, Therapist.first_name == first,
                                                          Therapist.last_name == last))
    practice = db.session.scalar(select(Practice).where(Practice.group_id == group.id,
                                                        Practice.name == demo_calendar.PRACTICE))
    calendar = db.session.scalar(select(CalendarSubscription).where(
        CalendarSubscription.therapist_id == therapist.id, CalendarSubscription.created_by_label == "Demo"))
    if calendar is None:
        calendar = CalendarSubscription(group_id=group.id, therapist_id=therapist.id, practice_id=practice.id,
                                        kind=CalendarKind.FEED, created_by_label="Demo")
        db.session.add(calendar)
    calendar.address_encrypted, calendar.address_digest = addresses.encrypt(address), addresses.digest(address)
    calendar.label, calendar.etag, calendar.requested_at = addresses.label(address), None, utcnow()
    db.session.commit()
    return calendar.id
