"""Where each status, readiness item and API error is explained."""

from __future__ import annotations

from flask import url_for

CODE_STATUS = {
    "none": ("code-kommt-nicht-an", "status"), "sending": ("code-kommt-nicht-an", "warten"),
    "retrying": ("code-kommt-nicht-an", "warten"), "valid": ("code-kommt-nicht-an", "status"),
    "expired": ("code-kommt-nicht-an", "status"), "used": ("neues-geraet", None),
    "superseded": ("code-kommt-nicht-an", "warten"), "locked": ("code-kommt-nicht-an", "status"),
    "refused": ("code-kommt-nicht-an", "schreibweise"), "failed": ("code-kommt-nicht-an", "warten"),
}
READINESS = {key: ("kann-sich-nicht-anmelden", anchor) for key, anchor in {
    "licence": "lizenz", "email": "email", "deliverable": "zustellbar", "app": "app", "withdrawn": "entzogen",
    "schedule": "termin", "database": "datenbank", "code": "code"}.items()}
DEVICE_STATE = {"locked": ("deaktiviert-nutzt-weiter", "was-bleibt"), "revoked": ("deaktiviert-nutzt-weiter",
                "entziehen"), "signed_out": ("abmelden", None), "active": ("neues-geraet", None)}
API_ERROR = {
    "invalid_code": ("code-kommt-nicht-an", None), "app_disabled": ("kann-sich-nicht-anmelden", "app"),
    "no_license": ("kann-sich-nicht-anmelden", "lizenz"), "database_not_ready": ("datenbank-fehlt", None),
    "deactivated": ("deaktiviert-nutzt-weiter", None), "revoked": ("abmelden", None),
    "invalid_token": ("neues-geraet", None), "too_many_attempts": ("kann-sich-nicht-anmelden", "app-fehler"),
}


def help_url(kind: str, key: str, external: bool = False) -> str | None:
    """The help page (and section) for e.g. ``help_url("code", "refused")``."""
    table = {"code": CODE_STATUS, "readiness": READINESS, "device": DEVICE_STATE, "api": API_ERROR}[kind]
    if key not in table:
        return None
    slug, anchor = table[key]
    return url_for("help.page", slug=slug, _anchor=anchor, _external=external)
