"""Appointments from the practice's calendar: iCalendar subscriptions (fetched every 15 minutes)
and one-off uploads, expanded over the therapist database's window into read-only appointments."""
