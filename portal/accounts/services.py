"""What happens to portal accounts: invitations and joining, a new practice group with its first
chef, password reset and change, the second factor's changes. Every change is audited in the
same transaction; mails leave through ``mails.request_mail`` once the caller commits."""

from __future__ import annotations

from sqlalchemy import func, select, update

from ..audit.services import apply_changes, record
from ..auth import sessions
from ..auth.models import Role, User
from ..extensions import db
from ..sorting import sort_key
from ..tenancy import Licence, LicenceKind, PracticeGroup
from ..timeutil import today_berlin, utcnow
from .mails import request_mail, use_link, void_reset_links
from .models import AccountMail, Invitation, MailKind


class AccountRefused(Exception):
    """The change cannot be made; the text says why, in German, for the person in front of it."""


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def open_invitation(group_id: int, email: str) -> Invitation | None:
    return db.session.scalar(select(Invitation).where(
        Invitation.group_id == group_id, func.lower(Invitation.email) == email.lower(), Invitation.open))


def users_of(group_id: int) -> list[User]:
    """The group's portal users, by e-mail address (the users lists)."""
    return sorted(db.session.scalars(select(User).where(User.group_id == group_id)), key=lambda u: sort_key(u.email))


def open_invitations(group_id: int) -> list[Invitation]:
    """The group's invitations nobody accepted or withdrew yet, newest first (the users lists)."""
    return list(db.session.scalars(select(Invitation).where(Invitation.group_id == group_id, Invitation.open)
                                   .order_by(Invitation.created_at.desc())))


def invite(group: PracticeGroup, email: str, role: Role, actor) -> Invitation:
    """Invite ``email`` into the group. An address that already has an account elsewhere gets a
    mail saying so (no link) and the inviter learns nothing about it; one of this group's users is
    refused, since the inviter sees them in the list anyway. The caller commits."""
    email = email.strip().lower()
    existing = user_by_email(email)
    if existing is not None and existing.group_id == group.id:
        raise AccountRefused(f"{email} ist bereits Benutzer Ihrer Praxisgruppe.")
    invitation = open_invitation(group.id, email)
    if invitation is None:
        invitation = Invitation(group_id=group.id, email=email, role=role, invited_by_id=getattr(actor, "id", None),
                                invited_by_label=inviter_label(actor))
        db.session.add(invitation)
        db.session.flush()
    else:
        invitation.role = role
    _mail_invitation(invitation, existing)
    record("user.invited", group_id=group.id, actor=actor,
           details={"invitation_id": invitation.id, "email": email, "role": str(role)})
    return invitation


def inviter_label(actor) -> str:
    """How an invitation names who sent it: by name (the address only while no name is entered);
    support as the vendor's Kundenservice."""
    if actor is None:
        return "Kundenservice"
    if actor.role == Role.SUPPORT:
        return f"{actor.name} (Kundenservice)" if actor.name else "Kundenservice"
    return actor.display_name


def _mail_invitation(invitation: Invitation, existing: User | None) -> None:
    if existing is None:
        request_mail(MailKind.INVITATION, invitation.email, group_id=invitation.group_id, invitation=invitation)
    else:
        request_mail(MailKind.KNOWN, invitation.email, group_id=invitation.group_id, invitation=invitation)


def resend(invitation: Invitation, actor) -> None:
    """A new mail with a new link (the earlier link stops working). The caller commits."""
    if not invitation.open:
        raise AccountRefused("Diese Einladung ist nicht mehr offen.")
    _mail_invitation(invitation, user_by_email(invitation.email))
    record("user.invitation_resent", group_id=invitation.group_id, actor=actor,
           details={"invitation_id": invitation.id, "email": invitation.email})


def withdraw(invitation: Invitation, actor) -> None:
    """The invitation's links stop working at once. The caller commits."""
    if not invitation.open:
        raise AccountRefused("Diese Einladung ist nicht mehr offen.")
    now = utcnow()
    invitation.withdrawn_at = now
    db.session.execute(update(AccountMail).where(AccountMail.invitation_id == invitation.id,
                                                 AccountMail.superseded_at.is_(None)).values(superseded_at=now))
    record("user.invitation_withdrawn", group_id=invitation.group_id, actor=actor,
           details={"invitation_id": invitation.id, "email": invitation.email})


def accept(mail: AccountMail, name: str, password: str) -> User:
    """Join with the invitation's link: the account with the invitee's name and chosen password.
    The caller commits."""
    invitation = mail.invitation
    if invitation is None or not invitation.open or user_by_email(invitation.email) is not None:
        raise AccountRefused("Diese Einladung gilt nicht mehr. Bitten Sie um eine neue.")
    if not use_link(mail):
        raise AccountRefused("Dieser Link wurde bereits verwendet.")
    user = User(email=invitation.email, name=name, role=invitation.role, group_id=invitation.group_id, active=True,
                password_changed_at=utcnow())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    invitation.accepted_at, invitation.user_id = utcnow(), user.id
    record("user.joined", group_id=invitation.group_id, actor=user,
           details={"user_id": user.id, "email": user.email, "role": str(user.role), "invitation_id": invitation.id})
    return user


def create_group(name: str, licences: list[LicenceKind], chef_email: str, actor) -> PracticeGroup:
    """Support's customer onboarding: a practice group with licences from today, and its first
    chef invited. The caller commits."""
    if db.session.scalar(select(PracticeGroup.id).where(func.lower(PracticeGroup.name) == name.strip().lower())):
        raise AccountRefused("Eine Praxisgruppe mit diesem Namen gibt es schon.")
    group = PracticeGroup(name=name.strip())
    group.licences = [Licence(kind=kind, valid_from=today_berlin()) for kind in licences]
    db.session.add(group)
    db.session.flush()
    record("group.created", group_id=group.id, actor=actor,
           details={"name": group.name, "licences": [str(kind) for kind in licences]})
    invite(group, chef_email, Role.CHEF, actor)
    return group


def rename(user: User, name: str) -> bool:
    """The name the portal shows for the user ("Mein Konto"); False when it did not change. The
    caller commits."""
    changes = apply_changes(user, {"name": name})
    if changes:
        record("user.renamed", group_id=user.group_id, actor=user,
               details={"user_id": user.id, "changes": changes})
    return bool(changes)


def request_reset(email: str) -> None:
    """"Passwort vergessen?": a link to an active account's address; nothing for any other. The
    caller commits; the mail's job then carries its id only."""
    user = user_by_email(email)
    if user is not None and user.active:
        request_mail(MailKind.RESET, user.email, group_id=user.group_id, user=user)


def reset_password(mail: AccountMail, password: str) -> User:
    """A new password through the reset link; every session of the user ends, every other open reset
    link dies and every browser known for the account counts as new. The caller commits."""
    user = mail.user
    if user is None or not user.active:
        raise AccountRefused("Dieser Link gilt nicht mehr. Bitte fordern Sie einen neuen an.")
    if not use_link(mail):
        raise AccountRefused("Dieser Link wurde bereits verwendet.")
    user.set_password(password)
    user.password_changed_at = utcnow()
    user.forget_known_browsers()
    void_reset_links(user)
    ended = sessions.end_all(user.id, "Passwort zurückgesetzt")
    record("user.password_reset", group_id=user.group_id, actor=user,
           details={"user_id": user.id, "email": user.email, "sessions_ended": ended})
    return user


def change_password(user: User, password: str) -> int:
    """The user's new password; their other sessions end (this one stays), every open reset link
    dies, and only this browser stays known for the account (the caller remembers it anew). The
    caller commits."""
    user.set_password(password)
    user.password_changed_at = utcnow()
    user.forget_known_browsers()
    void_reset_links(user)
    ended = sessions.end_all(user.id, "Passwort geändert", keep=sessions.current())
    record("user.password_changed", group_id=user.group_id, actor=user,
           details={"user_id": user.id, "email": user.email, "sessions_ended": ended})
    return ended


def end_sessions(user: User, rows: list) -> int:
    """End these sessions of the user (from "Mein Konto"); returns how many. The caller commits."""
    for row in rows:
        sessions.end(row, "in „Mein Konto“ beendet")
    if rows:
        record("user.sessions_ended", group_id=user.group_id, actor=user,
               details={"user_id": user.id, "email": user.email, "sessions": len(rows)})
    return len(rows)


def second_factor_changed(user: User, action: str, detail: str, actor=None) -> None:
    """Audit a change of the user's second factor and tell them by mail. The caller commits."""
    record(action, group_id=user.group_id, actor=actor or user,
           details={"user_id": user.id, "email": user.email, "change": detail})
    request_mail(MailKind.SECOND_FACTOR, user.email, group_id=user.group_id, user=user, detail=detail)
