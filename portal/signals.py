"""What features announce, so that the features that care listen instead of being imported (blinker,
which Flask ships). A feature sends after it changed its rows and before its caller commits; a
listener works in the same transaction."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

schedule_changed = _signals.signal("schedule-changed")
"""What a therapist's database holds changed (appointments, courses, practices, their own details):
``schedule_changed.send(therapist_ids=[…])``; ``None`` among the ids is ignored."""

course_members_changed = _signals.signal("course-members-changed")
"""Course participants changed (joined or left a group, renamed, restricted, erased):
``course_members_changed.send(participant_ids=[…])``, sent before the change removes memberships,
since the therapists of their course groups list them."""

database_requested = _signals.signal("database-requested")
"""Someone asks for a therapist's database to be written again now, whatever changed (the
checklist's "generate now", an app sign-in that found none ready):
``database_requested.send(therapist_ids=[…])``."""
