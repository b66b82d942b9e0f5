"""Passkeys (WebAuthn, py_webauthn) as a second factor: registering one from "Mein Konto", and
confirming a sign-in with it. The challenge of a ceremony waits in the signed session cookie."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

from flask import current_app, request, session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..timeutil import utcnow
from .models import Passkey, User

RP_NAME = "Therapeuten-App-Portal"


class PasskeyRefused(Exception):
    """The browser's answer did not verify; the text says why, in German."""


def _origin() -> str:
    configured = current_app.config.get("PORTAL_URL")
    return (configured or request.host_url).rstrip("/")


def _rp_id() -> str:
    return current_app.config.get("WEBAUTHN_RP_ID") or urlsplit(_origin()).hostname


def _remember(key: str, challenge: bytes) -> None:
    session[key] = base64.urlsafe_b64encode(challenge).decode()


def _challenge(key: str) -> bytes:
    stored = session.pop(key, None)
    if not stored:
        raise PasskeyRefused("Die Anfrage ist abgelaufen. Bitte versuchen Sie es noch einmal.")
    return base64.urlsafe_b64decode(stored)


def registration_options(user: User) -> str:
    options = generate_registration_options(
        rp_id=_rp_id(), rp_name=RP_NAME, user_id=f"portal-user-{user.id}".encode(), user_name=user.email,
        user_display_name=user.email,
        exclude_credentials=[PublicKeyCredentialDescriptor(id=key.credential_id) for key in user.passkeys],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED),
    )
    _remember("passkey_register", options.challenge)
    return options_to_json(options)


def register(user: User, credential: dict, name: str) -> Passkey:
    """Verify the browser's new credential and keep it (the caller commits)."""
    try:
        verified = verify_registration_response(credential=credential, expected_challenge=_challenge(
            "passkey_register"), expected_rp_id=_rp_id(), expected_origin=_origin())
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefused("Der Passkey konnte nicht geprüft werden. Bitte versuchen Sie es noch einmal.") from exc
    passkey = Passkey(credential_id=verified.credential_id, public_key=verified.credential_public_key,
                      sign_count=verified.sign_count, name=name)
    user.passkeys.append(passkey)
    return passkey


def authentication_options(user: User) -> str:
    options = generate_authentication_options(
        rp_id=_rp_id(), allow_credentials=[PublicKeyCredentialDescriptor(id=key.credential_id)
                                           for key in user.passkeys],
        user_verification=UserVerificationRequirement.PREFERRED)
    _remember("passkey_login", options.challenge)
    return options_to_json(options)


def authenticate(user: User, credential: dict) -> Passkey:
    """Verify a sign-in confirmed with one of the user's passkeys (the caller commits)."""
    try:
        raw_id = base64url_to_bytes(str(credential.get("rawId") or credential.get("id") or ""))
    except (ValueError, TypeError) as exc:
        raise PasskeyRefused("Dieser Passkey gehört nicht zu Ihrem Zugang.") from exc
    passkey = next((key for key in user.passkeys if bytes(key.credential_id) == raw_id), None)
    if passkey is None:
        raise PasskeyRefused("Dieser Passkey gehört nicht zu Ihrem Zugang.")
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=_challenge("passkey_login"), expected_rp_id=_rp_id(),
            expected_origin=_origin(), credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefused("Der Passkey konnte nicht geprüft werden. Bitte versuchen Sie es noch einmal.") from exc
    passkey.sign_count, passkey.last_used_at = verified.new_sign_count, utcnow()
    return passkey


def parse(body: bytes) -> dict:
    """The browser's credential as JSON, or a refusal."""
    try:
        credential = json.loads(body or b"")
    except ValueError as exc:
        raise PasskeyRefused("Die Antwort des Browsers war unvollständig.") from exc
    if not isinstance(credential, dict):
        raise PasskeyRefused("Die Antwort des Browsers war unvollständig.")
    return credential
