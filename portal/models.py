"""Every model, imported in one place for Alembic and the shell."""

from .api.models import Device
from .appdb.models import TherapistDatabase
from .audit.models import AuditEvent
from .auth.models import Role, User
from .checkin.models import Attendance, CourseMember, CourseSession, Participant, Prescription, Terminal
from .codes.models import CodeRequest, Delivery
from .groups.models import Licence, LicenceKind, Practice, PracticeGroup
from .schedule.models import Appointment, Course, CourseKind
from .scripts.models import ScriptRun
from .therapists.models import Therapist, therapist_practice

__all__ = [
    "Appointment", "AuditEvent", "CodeRequest", "Course", "CourseKind", "Delivery", "Device", "Licence",
    "LicenceKind", "Practice", "PracticeGroup", "Role", "ScriptRun", "Therapist", "TherapistDatabase", "User",
    "therapist_practice", "Attendance", "CourseMember", "CourseSession", "Participant", "Prescription", "Terminal",
]
