"""Who may do what: the spec's role table in one place, plus tenant-scoped loaders."""

from __future__ import annotations

from enum import StrEnum
from functools import wraps
from typing import TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..i18n import N_, translate
from ..web import parse_id
from .models import Role, User


class Permission(StrEnum):
    VIEW_THERAPISTS = "view_therapists"
    EDIT_THERAPISTS = "edit_therapists"
    MANAGE_PRACTICES = "manage_practices"
    MANAGE_USERS = "manage_users"
    VIEW_GROUP = "view_group"
    SUPPORT_CONSOLE = "support_console"
    RUN_SCRIPTS = "run_scripts"
    WITHDRAW_AUTHORISATION = "withdraw_authorisation"  # in the user's own group; support has its console
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_LICENCES = "manage_licences"
    MANAGE_TERMINALS = "manage_terminals"
    CHECK_IN = "check_in"
    END_DEVICE_SESSIONS = "end_device_sessions"
    READ_DEV_MAILS = "read_dev_mails"  # development only: the mail viewer (scoped to the group)
    OWN_ACCOUNT = "own_account"  # "Mein Konto": one's own password, sessions and second factor
    MANAGE_GROUPS = "manage_groups"  # support: new practice groups, a user's second factor reset
    PARTICIPANT_PRIVACY = "participant_privacy"  # a participant's data export (DSGVO Art. 15) and erasure


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.CHEF: frozenset(
        {
            Permission.VIEW_THERAPISTS,
            Permission.EDIT_THERAPISTS,
            Permission.MANAGE_PRACTICES,
            Permission.MANAGE_USERS,
            Permission.VIEW_GROUP,
            Permission.RUN_SCRIPTS,
            Permission.END_DEVICE_SESSIONS,
            Permission.WITHDRAW_AUTHORISATION,
            Permission.VIEW_AUDIT_LOG,
            Permission.MANAGE_TERMINALS,
            Permission.CHECK_IN,
            Permission.READ_DEV_MAILS,
            Permission.OWN_ACCOUNT,
            Permission.PARTICIPANT_PRIVACY,
        }
    ),
    Role.THERAPEUT: frozenset({Permission.VIEW_THERAPISTS, Permission.EDIT_THERAPISTS, Permission.CHECK_IN,
                               Permission.READ_DEV_MAILS, Permission.OWN_ACCOUNT}),
    Role.SUPPORT: frozenset({Permission.SUPPORT_CONSOLE, Permission.VIEW_AUDIT_LOG, Permission.MANAGE_LICENCES,
                             Permission.READ_DEV_MAILS, Permission.OWN_ACCOUNT, Permission.MANAGE_GROUPS}),
}


def can(user, permission: Permission) -> bool:
    """True when the signed-in user's role grants the permission (group roles need a group)."""
    if not user.is_authenticated:
        return False
    if user.role != Role.SUPPORT and user.group_id is None:
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


GROUP_ROLES = (Role.CHEF, Role.THERAPEUT)


def holders(permission: Permission) -> list[Role]:
    """The practice group's roles that hold ``permission`` (support is no group role)."""
    return [role for role in GROUP_ROLES if permission in ROLE_PERMISSIONS[role]]


def reserved_for(user, permission: Permission) -> str | None:
    """For a group's user who lacks ``permission``: who has it, e.g. "nur für die Praxisleitung
    (chef)", shown beside the action where it would be; None for anyone else."""
    if not user.is_authenticated or user.role not in GROUP_ROLES or can(user, permission):
        return None
    roles = holders(permission)
    if not roles:
        return None
    return translate(N_("nur für die %(roles)s"), roles=translate(N_(" und ")).join(role.label for role in roles))


def colleagues_with(user, permission: Permission) -> list[str]:
    """The addresses of the active users of ``user``'s group who hold ``permission``: whom to ask."""
    roles = holders(permission)
    if user.group_id is None or not roles:
        return []
    return list(db.session.scalars(select(User.email).where(
        User.group_id == user.group_id, User.active.is_(True), User.role.in_(roles)).order_by(User.email)))


def requires(permission: Permission):
    """View decorator: sign-in required, then 403 unless the role grants ``permission``."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator


M = TypeVar("M")
ANY_GROUP = object()  # support's scope: an object of any group


def get_or_404(model: type[M], object_id, *, group_id=None, **attributes) -> M:
    """Load one object by id, or answer 404 (also for anything that is no valid id). The object
    must belong to the signed-in user's group (another group's id answers 404), to ``group_id``
    when given (a terminal's group), or to any group with ``group_id=ANY_GROUP`` (support);
    ``attributes`` must match too (e.g. the therapist an appointment belongs to)."""
    object_id = parse_id(object_id)
    if object_id is None:
        abort(404)
    conditions = [model.id == object_id]
    conditions += [getattr(model, name) == value for name, value in attributes.items()]
    if group_id is not ANY_GROUP:
        conditions.append(model.group_id == (current_user.group_id if group_id is None else group_id))
    obj = db.session.scalar(select(model).where(*conditions))
    if obj is None:
        abort(404)
    return obj
