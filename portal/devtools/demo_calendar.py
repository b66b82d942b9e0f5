"""The demo practice's calendar, as Google Calendar would export it, around today: two weekly
series (one occurrence moved, one left out), single appointments, and what is no appointment (a
cancelled one, an all-day training, a "free" note) plus one broken event, so a newcomer sees how
the Termine tab names what it skipped. ``bin/run`` serves it on loopback."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

PATH = "/calendar/ical/praxis-am-markt%40sonnenhof.example/private-7f3a9c2e51d04b86/basic.ics"
THERAPIST = ("Marie", "Richter")
PRACTICE = "Praxis am Markt"

_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""


def _local(day: date, at: time) -> str:
    return datetime.combine(day, at).strftime("%Y%m%dT%H%M%S")


def _event(uid: str, summary: str, day: date, at: time, minutes: int, *extra: str) -> str:
    end = datetime.combine(day, at) + timedelta(minutes=minutes)
    lines = ["BEGIN:VEVENT", f"UID:{uid}@sonnenhof.example", "DTSTAMP:20260101T000000Z",
             f"DTSTART;TZID=Europe/Berlin:{_local(day, at)}", f"DTEND;TZID=Europe/Berlin:{end:%Y%m%dT%H%M%S}",
             f"SUMMARY:{summary}", *extra, "END:VEVENT"]
    return "\n".join(lines)


def sample_feed(today: date) -> bytes:
    """The calendar as of ``today`` (Europe/Berlin)."""
    monday = today - timedelta(days=today.weekday())
    series_start = monday - timedelta(weeks=3)
    thursday_next = monday + timedelta(weeks=1, days=3)
    events = [
        _event("kg-serie", "Krankengymnastik", series_start, time(8, 0), 30,
               "RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=16",
               f"EXDATE;TZID=Europe/Berlin:{_local(monday + timedelta(weeks=1), time(8, 0))}"),
        _event("kg-serie", "Krankengymnastik (verlegt)", thursday_next + timedelta(days=1), time(10, 0), 30,
               f"RECURRENCE-ID;TZID=Europe/Berlin:{_local(thursday_next, time(8, 0))}"),
        _event("mt-serie", "Manuelle Therapie", series_start + timedelta(days=1), time(14, 0), 45,
               "RRULE:FREQ=WEEKLY;COUNT=12"),
        _event("ld-1", "Lymphdrainage", today + timedelta(days=1), time(11, 0), 60),
        _event("hb-1", "Hausbesuch", today + timedelta(days=3), time(16, 0), 45),
        _event("bf-1", "Befundaufnahme", today + timedelta(days=2), time(9, 0), 30, "STATUS:CANCELLED"),
        _event("notiz-1", "Notiz: Urlaubsplanung", today + timedelta(days=4), time(12, 0), 15, "TRANSP:TRANSPARENT"),
        "\n".join(["BEGIN:VEVENT", "UID:fortbildung@sonnenhof.example", "DTSTAMP:20260101T000000Z",
                   f"DTSTART;VALUE=DATE:{today + timedelta(days=5):%Y%m%d}",
                   f"DTEND;VALUE=DATE:{today + timedelta(days=6):%Y%m%d}", "SUMMARY:Fortbildung", "END:VEVENT"]),
        _event("team", "Teambesprechung", today, time(13, 0), 30, "RRULE:FREQ=MONTHLY;BYDAY=XX"),
    ]
    text = "\n".join(["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0",
                      "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{PRACTICE}",
                      "X-WR-TIMEZONE:Europe/Berlin", _VTIMEZONE, *events, "END:VCALENDAR", ""])
    return text.replace("\n", "\r\n").encode()
