"""Reading an iCalendar file (RFC 5545) into the appointments it means over a window.

``icalendar`` parses, ``recurring-ical-events`` expands the recurrences (RRULE, RDATE, EXDATE,
moved and cancelled occurrences by RECURRENCE-ID) and, through ``x-wr-timezone``, reads Google's
``X-WR-TIMEZONE`` feeds as local times. Time zones come from the file's VTIMEZONE, an IANA name
or a Windows name (Outlook's "W. Europe Standard Time"); floating times and unknown zones are
taken as Europe/Berlin. All-day events, transparent ("free") events and cancelled ones are no
appointments. A broken event is skipped and named; the rest of the file still counts.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import icalendar
import recurring_ical_events
from recurring_ical_events.adapters.event import EventAdapter
from recurring_ical_events.errors import BadRuleStringFormat, PeriodEndBeforeStart
from recurring_ical_events.occurrence import Occurrence
from recurring_ical_events.selection.base import SelectComponents
from recurring_ical_events.series import Series

from ..timeutil import as_utc

TITLE_LENGTH = 120  # appointment.title
UID_LENGTH = 255  # appointment.calendar_uid; a longer UID is kept as its hash
SKIPPED_KEPT = 20  # skipped events named on the page (the count covers all)
NO_TITLE = "(ohne Titel)"


class NotACalendar(ValueError):
    """The bytes are no iCalendar file (an HTML login page, an error text, another format)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One occurrence as an appointment: keyed by UID and recurrence id ("" for a single event,
    else the original start in UTC, ``20261027T080000Z``)."""

    uid: str
    recurrence: str
    title: str
    starts_at: datetime  # UTC
    duration_minutes: int


@dataclass
class Reading:
    entries: list[Entry] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"uid", "summary", "code"}, the first SKIPPED_KEPT
    skipped_count: int = 0

    def skip(self, uid: str, summary: str, code: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < SKIPPED_KEPT:
            self.skipped.append({"uid": uid[:UID_LENGTH], "summary": _clean(summary)[:TITLE_LENGTH], "code": code})


def read(body: bytes, start: datetime, end: datetime) -> Reading:
    """The appointments the calendar holds that start in [start, end). Raises NotACalendar."""
    calendar = _parse(body)
    reading = Reading()
    events = _Events(reading)
    try:
        query = recurring_ical_events.of(calendar, components=[events])
    except Exception as exc:  # noqa: BLE001 - a calendar-wide flaw (e.g. CALSCALE) makes it no calendar we can read
        raise NotACalendar(str(exc)) from exc
    seen: set[tuple[str, str]] = set()
    for series in query.series:
        try:
            found = [_entry(occurrence, start, end) for occurrence in series.between(start, end)]
        except Exception as exc:  # noqa: BLE001 - one broken event must not cost the others
            events.skip_series(series.uid, exc)
            continue
        for entry in found:
            if entry is None:
                continue
            if (entry.uid, entry.recurrence) in seen:  # the appointment's key must stay unique
                reading.skip(entry.uid, entry.title, "duplicate")
                continue
            seen.add((entry.uid, entry.recurrence))
            reading.entries.append(entry)
    return reading


# What an appointment needs; everything else (descriptions, attendees, alarms, vendor X- lines) is
# left out before parsing, which is most of the work for real exports.
_KEPT_PROPERTIES = frozenset({
    "BEGIN", "END", "VERSION", "PRODID", "CALSCALE", "METHOD", "X-WR-TIMEZONE", "UID", "SEQUENCE", "SUMMARY",
    "STATUS", "TRANSP", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID",
    "TZID", "TZOFFSETFROM", "TZOFFSETTO", "TZNAME", "X-LIC-LOCATION",
})
_KEPT_COMPONENTS = frozenset({"VCALENDAR", "VEVENT", "VTIMEZONE", "STANDARD", "DAYLIGHT"})
_NAME = re.compile(r"[A-Za-z0-9-]*")
_FOLD = re.compile(r"\r?\n[ \t]")


def _essentials(text: str) -> str:
    """The file unfolded and without the lines and components no appointment is made of."""
    kept, dropping = [], 0
    for line in _FOLD.sub("", text).replace("\r\n", "\n").split("\n"):
        name = _NAME.match(line).group(0).upper()
        if name in ("BEGIN", "END"):
            component = line[len(name) + 1:].strip().upper()
            if component not in _KEPT_COMPONENTS or dropping:
                dropping = max(0, dropping + (1 if name == "BEGIN" else -1))
                continue
        if not dropping and name in _KEPT_PROPERTIES:
            kept.append(line)
    return "\r\n".join(kept) + "\r\n"


def _parse(body: bytes) -> icalendar.Calendar:
    if b"BEGIN:VCALENDAR" not in body[:4096].upper():
        raise NotACalendar("no BEGIN:VCALENDAR")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = body.decode("cp1252", errors="replace")  # older practice software writes Windows-1252
    try:
        calendar = icalendar.Calendar.from_ical(_essentials(text))
    except Exception as exc:  # noqa: BLE001 - the parser raises several kinds for a file that is not iCalendar
        raise NotACalendar(str(exc)) from exc
    if calendar.name != "VCALENDAR":
        raise NotACalendar(calendar.name)
    return calendar


class _Event(EventAdapter):
    """The library's event adapter, with what its component says for all its occurrences (a
    moved occurrence has a component, and so its SUMMARY, STATUS and TRANSP, of its own)."""

    def __init__(self, component) -> None:
        super().__init__(component)
        self.facts = _facts(component)


class _Occurrence(Occurrence):
    def __init__(self, adapter: _Event, start=None, end=None, sequence: int = -1) -> None:
        super().__init__(adapter, start, end, sequence)
        self.facts = adapter.facts


class _Series(Series):
    def occurrence(self, adapter, start=None, end=None) -> _Occurrence:
        return _Occurrence(adapter, start, end, sequence=self.sequence)


_REPEATS = ("RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID")


class _Single:
    """A plain single event (the only component of its UID, nothing that repeats or excludes):
    its one occurrence, as the library's event adapter reads it (DTEND, or DTSTART + DURATION,
    or none), without the machinery a series needs. Two thirds of a practice calendar are these."""

    def __init__(self, uid: str, component) -> None:
        self.uid, self.facts = uid, _facts(component)
        self.start = component["DTSTART"].dt
        if "DTEND" in component:
            self.end = component["DTEND"].dt
        elif "DURATION" in component:
            self.end = self.start + component["DURATION"].dt
        else:
            self.end = self.start
        if isinstance(self.start, datetime) and isinstance(self.end, datetime) and as_utc(self.end) < as_utc(
                self.start):
            self.start, self.end = self.end, self.start  # as the library does

    def between(self, _start: datetime, _end: datetime) -> list[_Single]:
        return [self]  # _entry keeps it when it starts in the window


class _Events(SelectComponents):
    """The VEVENTs, one series per UID; a series that cannot be built is skipped and named."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.by_uid: dict[str, list] = defaultdict(list)

    def collect_series_from(self, source, suppress_errors) -> list[Series | _Single]:
        for component in source.walk("VEVENT"):
            uid = str(component.get("UID") or "").strip()
            if not uid:  # RFC 5545 requires one; a stand-in from start and title keeps it the same next time
                uid = _stand_in_uid(component)
                component["UID"] = uid
            self.by_uid[uid].append(component)
        series = []
        for uid, components in self.by_uid.items():
            try:
                if len(components) == 1 and not any(name in components[0] for name in _REPEATS):
                    series.append(_Single(uid, components[0]))
                else:
                    series.append(_Series([_Event(component) for component in components]))
            except Exception as exc:  # noqa: BLE001 - one broken event must not cost the others
                self.skip_series(uid, exc)
        return series

    def skip_series(self, uid: str, exc: Exception) -> None:
        summary = str(self.by_uid[uid][0].get("SUMMARY") or "") if self.by_uid.get(uid) else ""
        self.reading.skip(_stored_uid(uid), summary, _reason(exc))


def _stand_in_uid(component) -> str:
    digest = hashlib.sha256()
    for name in ("DTSTART", "SUMMARY"):
        value = component.get(name)
        try:
            digest.update(value.to_ical() if value is not None else b"")
        except Exception:  # noqa: BLE001 - a broken value names the event no worse than none
            digest.update(b"?")
        digest.update(b"\x00")
    return "ohne-uid-" + digest.hexdigest()[:24]


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError) and "DTSTART" in str(exc):
        return "no_start"
    if isinstance(exc, BadRuleStringFormat):
        return "bad_rule"
    if isinstance(exc, PeriodEndBeforeStart):
        return "end_before_start"
    if isinstance(exc, icalendar.error.BrokenCalendarProperty):
        return "bad_value"
    return "broken"


@dataclass(frozen=True, slots=True)
class _Facts:
    """What an event says for all its occurrences, read once per event rather than per occurrence."""

    uid: str
    title: str
    counts: bool  # not cancelled, not transparent ("free")
    recurrence_id: str | None  # a moved occurrence's own RECURRENCE-ID (UTC key)
    recurs: bool  # its occurrences come from a rule (RRULE, RDATE, or RANGE=THISANDFUTURE)


def _facts(event) -> _Facts:
    status, transp = str(event.get("STATUS") or "").upper(), str(event.get("TRANSP") or "").upper()
    recurrence_id = event.get("RECURRENCE-ID")
    this_and_future = recurrence_id is not None and recurrence_id.params.get("RANGE", "").upper() == "THISANDFUTURE"
    return _Facts(
        uid=_stored_uid(str(event["UID"])),
        title=_title(event.get("SUMMARY")),
        counts=status != "CANCELLED" and transp != "TRANSPARENT",
        recurrence_id=_utc_key(recurrence_id.dt) if recurrence_id is not None and not this_and_future else None,
        recurs=this_and_future or "RRULE" in event or "RDATE" in event,
    )


def _entry(occurrence: _Occurrence | _Single, start: datetime, end: datetime) -> Entry | None:
    """The appointment an occurrence means, or None when it is none (all-day, free, cancelled,
    outside the window). Its recurrence key: "" for a single event; else the occurrence's original
    start in UTC (a moved occurrence's RECURRENCE-ID, or the start a rule gave it)."""
    facts, begins, ends = occurrence.facts, occurrence.start, occurrence.end
    if not facts.counts or not isinstance(begins, datetime):  # cancelled, free or all-day
        return None
    starts_at = as_utc(begins)
    if not start <= starts_at < end:
        return None
    minutes = 0
    if isinstance(ends, datetime):
        minutes = max(0, round((as_utc(ends) - starts_at).total_seconds() / 60))
    recurrence = facts.recurrence_id or (_utc_key(begins) if facts.recurs else "")
    return Entry(facts.uid, recurrence, facts.title, starts_at, minutes)


def _utc_key(value) -> str:
    if not isinstance(value, datetime):
        return value.strftime("%Y%m%d") if isinstance(value, date) else str(value)
    return as_utc(value).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _stored_uid(uid: str) -> str:
    if len(uid) <= UID_LENGTH:
        return uid
    return "sha256:" + hashlib.sha256(uid.encode()).hexdigest()


def _clean(text) -> str:
    return " ".join(str(text or "").split())


def _title(summary) -> str:
    """The summary on one line, cut to the column's length (never refused for being long)."""
    title = _clean(summary) or NO_TITLE
    return title if len(title) <= TITLE_LENGTH else title[:TITLE_LENGTH - 1].rstrip() + "…"
