"""Every model, imported in one place for Alembic and the shell."""

from .accounts.models import AccountMail, Invitation, MailKind
from .audit.models import AuditEvent
from .auth.models import Passkey, RecoveryCode, Role, User, UserSession
from .bounces.models import Bounce, BounceKind, Intake
from .calendars.models import CalendarKind, CalendarSubscription
from .checkin.models import (
    Attendance,
    CourseMember,
    CourseSession,
    OfflineCheckIn,
    OfflineStatus,
    Participant,
    Prescription,
    Terminal,
)
from .codes.models import CodeRequest
from .devices.models import Device
from .groups.models import Licence, LicenceKind, Practice, PracticeGroup
from .outbox.delivery import Delivery
from .schedule.models import Appointment, Course, CourseKind
from .scripts.models import RunStatus, ScriptRun
from .therapist_db.models import TherapistDatabase
from .therapists.models import Therapist, therapist_practice

__all__ = [
    "AccountMail", "Invitation", "MailKind", "Passkey", "RecoveryCode", "UserSession",
    "Appointment", "Attendance", "AuditEvent", "Bounce", "BounceKind", "CalendarKind", "CalendarSubscription",
    "CodeRequest", "Course", "CourseKind",
    "CourseMember", "CourseSession", "Delivery", "Device", "Intake", "Licence", "LicenceKind", "OfflineCheckIn",
    "OfflineStatus", "Participant",
    "Practice", "PracticeGroup", "Prescription", "Role", "RunStatus", "ScriptRun", "Terminal", "Therapist",
    "TherapistDatabase", "User", "therapist_practice",
]
