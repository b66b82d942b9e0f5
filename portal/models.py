"""Every model, imported in one place for Alembic and the shell."""

from .audit.models import AuditEvent
from .auth.models import Role, User
from .codes.models import CodeRequest, Delivery
from .groups.models import Licence, LicenceKind, Practice, PracticeGroup
from .schedule.models import Appointment, Course, CourseKind
from .therapists.models import Therapist, therapist_practice

__all__ = [
    "Appointment", "AuditEvent", "CodeRequest", "Delivery", "Course", "CourseKind", "Licence", "LicenceKind",
    "Practice", "PracticeGroup", "Role", "Therapist", "User", "therapist_practice",
]
