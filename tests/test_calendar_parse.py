"""Reading calendars as Google Calendar, Outlook, Apple Calendar and a practice software export
them, occurrence by occurrence in Berlin time, over the therapist database's window."""

from datetime import datetime
from pathlib import Path

import icalendar
import pytest
from recurring_ical_events.adapters.event import EventAdapter

from portal.calendars.parse import NotACalendar, _Single, read
from portal.timeutil import BERLIN

FEEDS = Path(__file__).parent / "calendar_feeds"
# the window as of 1 October 2026: 30 days back, 90 ahead (the weekly series cross 25 October, the end of summer time)
START, END = datetime(2026, 9, 1, tzinfo=BERLIN), datetime(2026, 12, 31, tzinfo=BERLIN)


def feed(name: str) -> bytes:
    return (FEEDS / f"{name}.ics").read_bytes()


def berlin(reading) -> list[tuple[str, str, int]]:
    """(Berlin wall-clock time, title, minutes) of each appointment, in time order."""
    return [(e.starts_at.astimezone(BERLIN).strftime("%a %d.%m. %H:%M"), e.title, e.duration_minutes)
            for e in sorted(reading.entries, key=lambda e: e.starts_at)]


def test_google_feed_with_x_wr_timezone_keeps_a_summer_series_at_nine_in_winter():
    """Google writes this series in UTC with X-WR-TIMEZONE: it is 09:00 Berlin on both sides of
    the change (07:00 UTC in summer, 08:00 UTC in winter); one occurrence moved, one left out
    (EXDATE), one cancelled; the all-day training and the "free" note are no appointments."""
    reading = read(feed("google"), START, END)
    series = "Rückenschule Gruppe"
    assert berlin(reading) == [
        ("Tue 01.09. 09:00", series, 30), ("Tue 08.09. 09:00", series, 30),
        ("Tue 22.09. 09:00", series, 30), ("Tue 29.09. 09:00", series, 30),
        ("Wed 07.10. 14:00", "Rückenschule Gruppe (verschoben)", 45),
        ("Mon 12.10. 10:30", "Erstbefund", 45),
        ("Tue 13.10. 09:00", series, 30), ("Tue 20.10. 09:00", series, 30), ("Tue 27.10. 09:00", series, 30),
        ("Tue 10.11. 09:00", series, 30), ("Tue 17.11. 09:00", series, 30), ("Tue 24.11. 09:00", series, 30),
        ("Tue 01.12. 16:00", "Hausbesuch", 45),
    ]
    by_start = {e.starts_at.astimezone(BERLIN).strftime("%d.%m."): e for e in reading.entries}
    assert by_start["20.10."].starts_at.hour == 7 and by_start["27.10."].starts_at.hour == 8  # UTC
    assert by_start["07.10."].recurrence == "20261006T070000Z"  # the moved one keeps its original's key
    assert by_start["12.10."].recurrence == ""  # a single event
    assert reading.skipped == []


def test_outlook_feed_with_windows_zone_names_and_a_moved_occurrence():
    reading = read(feed("outlook"), START, END)
    kg = "KG Frau Schneider"
    assert berlin(reading) == [
        ("Mon 21.09. 08:00", kg, 30), ("Mon 28.09. 08:00", kg, 30), ("Mon 05.10. 08:00", kg, 30),
        ("Mon 19.10. 08:00", kg, 30), ("Tue 27.10. 09:15", kg, 30), ("Mon 02.11. 08:00", kg, 30),
        ("Mon 02.11. 15:00", "Lymphdrainage Herr Vogel", 60), ("Mon 09.11. 08:00", kg, 30),
        ("Mon 16.11. 08:00", kg, 30),
    ]
    moved = next(e for e in reading.entries if e.starts_at.astimezone(BERLIN).day == 27)
    assert moved.recurrence == "20261026T070000Z"
    assert moved.uid.startswith("040000008200E00074C5B7101A82E008") and len(moved.uid) > 100  # folded in the file


def test_apple_feed_with_an_extra_date_and_an_all_day_holiday():
    reading = read(feed("apple"), START, END)
    mt = "Manuelle Therapie"
    assert berlin(reading) == [
        ("Mon 05.10. 17:00", mt, 30), ("Wed 07.10. 17:00", mt, 30), ("Mon 12.10. 17:00", mt, 30),
        ("Mon 19.10. 17:00", mt, 30), ("Mon 26.10. 17:00", mt, 30), ("Mon 02.11. 17:00", mt, 30),
    ]


def test_practice_software_feed_with_floating_times_durations_and_broken_events():
    """Floating times are Berlin time across the change; DURATION gives the length, an event with
    neither end nor duration lasts 0 minutes; a long summary is cut, not refused; the event
    without a start and the one with an unreadable rule are skipped and named, the rest stays."""
    reading = read(feed("practice"), START, END)
    appointments = berlin(reading)
    series = [a for a in appointments if a[1] == "MT Frau Krüger"]
    assert [a[0] for a in series] == [
        "Thu 03.09. 07:30", "Thu 10.09. 07:30", "Thu 17.09. 07:30", "Thu 24.09. 07:30", "Thu 01.10. 07:30",
        "Thu 08.10. 07:30", "Thu 15.10. 07:30", "Thu 22.10. 07:30", "Thu 29.10. 07:30", "Thu 05.11. 07:30",
        "Thu 12.11. 07:30", "Thu 19.11. 07:30", "Thu 26.11. 07:30", "Thu 03.12. 07:30", "Thu 10.12. 07:30",
        "Thu 17.12. 07:30"]
    others = [a for a in appointments if a[1] != "MT Frau Krüger"]
    assert others[0] == ("Fri 02.10. 08:15", "KG-ZNS Herr Wagner", 20)
    long_title = others[1][1]
    assert len(long_title) == 120 and long_title.endswith("…") and long_title.startswith("Krankengymnastik am Gerät")
    assert others[2] == ("Fri 09.10. 11:00", "Rückruf Krankenkasse", 0)
    assert len(others) == 3  # the cancelled one is not there
    assert reading.skipped == [
        {"uid": "termin-100250@praxissoftware.example", "summary": "Besprechung ohne Zeit", "code": "no_start"},
        {"uid": "termin-100260@praxissoftware.example", "summary": "Kontrolle", "code": "bad_rule"},
    ]
    assert reading.skipped_count == 2


def test_descriptions_attendees_alarms_and_other_components_change_nothing():
    """Real exports carry much that is no appointment (left out before parsing)."""
    extra = ("DESCRIPTION:Bitte Handtuch mitbringen\\nund Überweisung\r\n  (zweite Zeile, gefaltet)\r\n"
             "ATTENDEE;CN=Anna Schmidt;PARTSTAT=ACCEPTED:mailto:anna@praxis.example\r\n"
             "X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\n"
             "DESCRIPTION:Erinnerung\r\nEND:VALARM\r\n")
    plain = feed("google")
    full = plain.replace(b"SUMMARY:", extra.encode() + b"SUMMARY:").replace(
        b"END:VCALENDAR", b"BEGIN:VTODO\r\nUID:todo-1\r\nSUMMARY:Rezepte\r\nEND:VTODO\r\nEND:VCALENDAR")
    assert berlin(read(full, START, END)) == berlin(read(plain, START, END))


def test_the_same_file_reads_the_same_keys_twice_and_an_event_without_uid_keeps_its_stand_in():
    body = feed("practice").replace(b"UID:termin-100231@praxissoftware.example\r\n", b"")
    first, second = read(body, START, END), read(body, START, END)
    assert {(e.uid, e.recurrence) for e in first.entries} == {(e.uid, e.recurrence) for e in second.entries}
    stand_in = next(e for e in first.entries if e.title == "KG-ZNS Herr Wagner")
    assert stand_in.uid.startswith("ohne-uid-")


def test_a_uid_longer_than_the_column_is_kept_as_its_hash():
    body = feed("practice").replace(b"UID:termin-100231@praxissoftware.example", b"UID:" + b"x" * 300)
    entry = next(e for e in read(body, START, END).entries if e.title == "KG-ZNS Herr Wagner")
    assert entry.uid.startswith("sha256:") and len(entry.uid) == 71


def test_the_same_event_twice_in_a_file_is_taken_once():
    text = feed("google").decode()
    block = text[text.index("BEGIN:VEVENT\r\nDTSTART;TZID=Europe/Berlin:20261012"):]
    block = block[:block.index("END:VEVENT\r\n") + len("END:VEVENT\r\n")]
    reading = read(text.replace("END:VCALENDAR", block + "END:VCALENDAR").encode(), START, END)
    assert [e.title for e in reading.entries].count("Erstbefund") == 1 and reading.skipped == []


@pytest.mark.parametrize("body", [
    b"<!DOCTYPE html><html><body>Bitte melden Sie sich an</body></html>",
    b"",
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna\r\nEND:VCARD\r\n",
    b"BEGIN:VCALENDAR\r\nthis is not a line\r\n",
])
def test_anything_but_a_calendar_is_refused_as_a_whole(body):
    with pytest.raises(NotACalendar):
        read(body, START, END)


def test_a_windows_1252_file_from_an_older_practice_software_is_read():
    body = feed("practice").decode("utf-8").encode("cp1252")
    assert "MT Frau Krüger" in {e.title for e in read(body, START, END).entries}


@pytest.mark.parametrize("lines", [
    "DTSTART;TZID=Europe/Berlin:20261012T103000\r\nDTEND;TZID=Europe/Berlin:20261012T111500",
    "DTSTART:20261201T150000Z\r\nDTEND:20261201T154500Z",
    "DTSTART:20261002T081500\r\nDURATION:PT20M",
    "DTSTART:20261009T110000",
    "DTSTART:20261015T100000\r\nDTEND:20261015T090000",  # end before start: taken the other way round
    "DTSTART;TZID=W. Europe Standard Time:20261102T150000\r\nDTEND;TZID=W. Europe Standard Time:20261102T160000",
])
def test_a_plain_single_event_reads_as_the_library_reads_it(lines):
    """Single events skip the series machinery; their times must be the library's all the same."""
    component = icalendar.Calendar.from_ical(
        f"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n{lines}\r\nSUMMARY:T\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).walk("VEVENT")[0]
    single, library = _Single("x", component), EventAdapter(component)
    assert (single.start, single.end) == (library.start, library.end)
