"""Creating and changing therapists; each change writes its audit event in the same transaction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from flask_babel import ngettext
from sqlalchemy import select

from ..audit.services import apply_changes, record
from ..codes.request import RequestOutcome, request_code, void_open_codes
from ..devices.services import revoke_all, signed_in_count
from ..extensions import db
from ..i18n import N_, translate
from ..signals import schedule_changed
from ..tenancy import Practice, Therapist
from ..therapist_db.services import request_generation
from ..timeutil import utcnow

FIELDS = ("first_name", "last_name", "email", "app_enabled")


@dataclass(frozen=True)
class Deactivation:
    """What unticking "App aktivieren" did: the signed-in devices stop syncing (and keep what they
    hold), the open codes are void."""

    devices: int
    codes_voided: int

    @property
    def message(self) -> str:
        if self.devices:
            devices = ngettext("Das angemeldete Gerät synchronisiert nicht mehr und zeigt weiter, was es schon "
                               "geladen hat.",
                               "Die %(num)s angemeldeten Geräte synchronisieren nicht mehr und zeigen weiter, was sie "
                               "schon geladen haben.", self.devices)
            back = translate(N_("Setzen Sie „App aktivieren“ wieder, synchronisieren sie ohne neuen Zugangscode "
                                "weiter; einen neuen Code braucht es erst nach einer Abmeldung in der App."))
        else:
            devices = translate(N_("Kein Gerät ist angemeldet."))
            back = ""
        codes = translate(N_("Der offene Zugangscode ist nicht mehr gültig.")) if self.codes_voided else ""
        return " ".join(part for part in (translate(N_("Die App ist deaktiviert:")), devices, back, codes) if part)


@dataclass
class SaveResult:
    """What saving the dialog did: the therapist, the changed fields, and a code request if one was
    made or what a deactivation did."""

    therapist: Therapist
    changes: dict = field(default_factory=dict)
    code: RequestOutcome | None = None
    deactivation: Deactivation | None = None

    def report(self, saved: str) -> tuple[str, str]:
        """The page's message after the commit: what was saved, and what became of the code."""
        if self.deactivation is not None:
            return f"{saved} {self.deactivation.message}", "success"
        if self.code is None:
            return saved, "success"
        message, category = self.code.report()
        return f"{saved} {message}", "success" if category == "info" else category


@dataclass(frozen=True)
class Withdrawal:
    """What "Berechtigung entziehen" did."""

    name: str
    reason: str
    app_was_enabled: bool
    codes_voided: int
    devices_revoked: int

    @property
    def message(self) -> str:
        devices = ngettext("%(num)s Gerät abgemeldet", "%(num)s Geräte abgemeldet", self.devices_revoked)
        codes = ngettext("%(num)s offener Code ungültig", "%(num)s offene Codes ungültig", self.codes_voided)
        return translate(N_("Berechtigung von %(name)s entzogen: %(devices)s, %(codes)s."), name=self.name,
                         devices=devices, codes=codes)


def _practices(group_id: int, practice_ids: list[int]) -> list[Practice]:
    if not practice_ids:
        return []
    return list(
        db.session.scalars(
            select(Practice).where(Practice.group_id == group_id, Practice.id.in_(practice_ids))
        )
    )


def create_therapist(group_id: int, data: dict, actor=None) -> SaveResult:
    """Add a therapist to the group (and request a code when "App aktivieren" is ticked); the caller commits."""
    therapist = Therapist(group_id=group_id, **{f: data[f] for f in FIELDS})
    therapist.practices = _practices(group_id, data["practice_ids"])
    db.session.add(therapist)
    db.session.flush()
    record(
        "therapist.created",
        group_id=group_id,
        therapist_id=therapist.id,
        details={
            "name": therapist.full_name,
            "email": therapist.email,
            "practices": [p.name for p in therapist.practices],
            "app_enabled": therapist.app_enabled,
        },
    )
    code = _activated(therapist, actor) if therapist.app_enabled else None
    return SaveResult(therapist, code=code)


def update_therapist(therapist: Therapist, data: dict, actor=None) -> SaveResult:
    """Apply the dialog's values; the result's changes are {field: [old, new]} (empty: nothing to do).

    "App aktivieren" is compared like every other field, so ticking only the checkbox saves
    (the seed's release 2023.0.5.0 lost exactly that change). Activating requests a code; a
    changed address is no longer counted as refused by the mail server.
    """
    changes = apply_changes(therapist, {name: data[name] for name in FIELDS})
    old_practices = sorted(p.name for p in therapist.practices)
    new_practice_objs = _practices(therapist.group_id, data["practice_ids"])
    new_practices = sorted(p.name for p in new_practice_objs)
    if old_practices != new_practices:
        changes["practices"] = [old_practices, new_practices]
        therapist.practices = new_practice_objs
    if not changes:
        return SaveResult(therapist)
    if "email" in changes:
        therapist.email_refused = None
    if changes.keys() - {"app_enabled"}:
        schedule_changed.send(therapist_ids=[therapist.id])
    db.session.flush()
    record(
        "therapist.updated",
        group_id=therapist.group_id,
        therapist_id=therapist.id,
        details={"name": therapist.full_name, "changes": changes},
    )
    if "app_enabled" in changes and not therapist.app_enabled:
        return SaveResult(therapist, changes, deactivation=_deactivated(therapist))
    code = _activated(therapist, actor) if "app_enabled" in changes else None
    return SaveResult(therapist, changes, code)


def _deactivated(therapist: Therapist) -> Deactivation:
    """Unticking "App aktivieren": the devices are refused at their next sync (rule 8) and keep what
    they hold; an open code could sign nobody in any more, so it is voided (and shown so)."""
    done = Deactivation(signed_in_count(therapist.id), void_open_codes(therapist.id, utcnow()))
    record("therapist.app_deactivated", group_id=therapist.group_id, therapist_id=therapist.id,
           details={"name": therapist.full_name, "email": therapist.email, "codes_voided": done.codes_voided})
    return done


def _activated(therapist: Therapist, actor) -> RequestOutcome:
    """Record the activation and request an access code (rule 3)."""
    record(
        "therapist.app_activated",
        group_id=therapist.group_id,
        therapist_id=therapist.id,
        details={"name": therapist.full_name, "email": therapist.email},
    )
    therapist.withdrawn_at = None
    request_generation(therapist)  # nobody should wait for Saturday
    return request_code(therapist, actor)


def withdraw_authorisation(therapist: Therapist, reason: str, actor) -> Withdrawal:
    """"Berechtigung entziehen": untick App aktivieren, void every open code and revoke every
    device session, so each device's next contact gets ``revoked`` with ``wipe: true`` and only
    a new code signs in again. The caller commits."""
    now = utcnow()
    done = Withdrawal(therapist.full_name, reason, therapist.app_enabled, void_open_codes(therapist.id, now),
                      revoke_all(therapist.id, now))
    therapist.app_enabled = False
    therapist.withdrawn_at = now
    record("therapist.authorisation_withdrawn", group_id=therapist.group_id, therapist_id=therapist.id,
           details=asdict(done), actor=actor)
    return done
