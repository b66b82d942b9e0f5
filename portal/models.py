"""Every model, imported in one place for Alembic and the shell."""

from .audit.models import AuditEvent
from .auth.models import Role, User
from .bounces.models import Bounce, BounceKind, Intake
from .checkin.models import Attendance, CourseMember, CourseSession, Participant, Prescription, Terminal
from .codes.models import CodeRequest, Delivery
from .devices.models import Device
from .groups.models import Licence, LicenceKind, Practice, PracticeGroup
from .schedule.models import Appointment, Course, CourseKind
from .scripts.models import RunStatus, ScriptRun
from .therapist_db.models import TherapistDatabase
from .therapists.models import Therapist, therapist_practice

__all__ = [
    "Appointment", "Attendance", "AuditEvent", "Bounce", "BounceKind", "CodeRequest", "Course", "CourseKind",
    "CourseMember", "CourseSession", "Delivery", "Device", "Intake", "Licence", "LicenceKind", "Participant",
    "Practice", "PracticeGroup", "Prescription", "Role", "RunStatus", "ScriptRun", "Terminal", "Therapist",
    "TherapistDatabase", "User", "therapist_practice",
]
