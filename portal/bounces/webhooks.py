"""Provider webhooks: POST /webhooks/mail/postmark (HTTP Basic auth) and /webhooks/mail/ses
(Amazon SES through SNS, whose signature is checked against a certificate from an allowed host).
Each event counts once (the provider's id); a bad body answers 400, never 500."""

from __future__ import annotations

import base64
import hmac
import json
import re
import urllib.request
from datetime import UTC, datetime
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import func, select

from ..codes.models import CodeRequest
from ..extensions import csrf, db
from ..outbox.delivery import Delivery
from ..security import without_nul
from .models import BounceKind, Intake
from .parser import Report
from .services import request_for_tag, take

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/mail")
csrf.exempt(bp)

POSTMARK_HARD = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "Blocked", "DMARCPolicy"}
POSTMARK_SOFT = {"SoftBounce", "Transient", "DnsError", "Unknown"}
ENHANCED_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
SNS_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}


def _answer(status: int, result: str, **headers):
    response = jsonify(result=result)
    response.status_code = status
    response.headers.update(headers)
    return response


def _diagnostic(text) -> str | None:
    text = " ".join(str(text or "").split())
    return re.sub(r"^smtp;\s*", "", text, flags=re.I) or None


def _latest_request_to(address: str) -> CodeRequest | None:
    return db.session.scalars(
        select(CodeRequest).where(func.lower(CodeRequest.email) == address.strip().lower(),
                                  CodeRequest.delivery.in_([Delivery.ACCEPTED, Delivery.BOUNCED]))
        .order_by(CodeRequest.id.desc()).limit(1)).first()


@bp.post("/postmark")
def postmark():
    """A Postmark bounce webhook. Matched by the tag in the mail's metadata, else by the address."""
    config = current_app.config
    user, password = config.get("POSTMARK_WEBHOOK_USER"), config.get("POSTMARK_WEBHOOK_PASSWORD")
    if not (user and password):
        abort(404)
    auth = request.authorization
    if auth is None or not (hmac.compare_digest((auth.username or "").encode(), user.encode())
                            and hmac.compare_digest((auth.password or "").encode(), password.encode())):
        return _answer(401, "unauthorized", **{"WWW-Authenticate": 'Basic realm="postmark"'})
    body = without_nul(request.get_json(silent=True))
    if not isinstance(body, dict) or not isinstance(body.get("ID"), (int, str)) or not body.get("RecordType"):
        return _answer(400, "malformed")
    if body["RecordType"] != "Bounce":
        return _answer(200, "not a bounce")
    kind = (BounceKind.HARD if body.get("Type") in POSTMARK_HARD else
            BounceKind.SOFT if body.get("Type") in POSTMARK_SOFT else BounceKind.IGNORED)
    details = _diagnostic(body.get("Details") or body.get("Description"))
    status = ENHANCED_STATUS.search(details or "")
    address = str(body.get("Email") or "")
    metadata = body.get("Metadata") if isinstance(body.get("Metadata"), dict) else {}
    code_request = request_for_tag(str(metadata.get("portal_tag") or "")) or (_latest_request_to(address)
                                                                               if address else None)
    report = Report(kind, f"postmark:{body['ID']}", recipient=address or None,
                    status=status.group(1) if status else None, diagnostic=details,
                    reason=None if kind != BounceKind.IGNORED else f"Postmark: {body.get('Type')}")
    bounce = take(report, Intake.POSTMARK, request=code_request)
    return _answer(200, "recorded" if bounce is not None else "already recorded")


@lru_cache(maxsize=16)
def certificate(url: str) -> x509.Certificate:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - the address matched the allowed pattern
        return x509.load_pem_x509_certificate(answer.read(64 * 1024))


def _sns_signature_ok(message: dict) -> bool:
    """Check an SNS message: its certificate comes from an allowed address and signs the message."""
    pattern = current_app.config["SES_CERT_URL_PATTERN"]
    url = str(message.get("SigningCertURL") or "")
    fields = SNS_FIELDS.get(message.get("Type"))
    if not fields or not re.match(pattern, url) or message.get("SignatureVersion") not in ("1", "2"):
        return False
    text = "".join(f"{name}\n{message[name]}\n" for name in fields if name in message)
    try:
        signer = certificate(url)
        now = datetime.now(UTC)
        if not signer.not_valid_before_utc <= now <= signer.not_valid_after_utc:
            return False
        algorithm = hashes.SHA1() if message["SignatureVersion"] == "1" else hashes.SHA256()  # noqa: S303 - SNS v1
        signer.public_key().verify(base64.b64decode(str(message.get("Signature") or ""), validate=True),
                                        text.encode(), padding.PKCS1v15(), algorithm)
        return True
    except (InvalidSignature, ValueError, TypeError, OSError):
        return False


def _ses_report(message: dict, event_key: str) -> tuple[Report, CodeRequest | None]:
    """Read an SES notification (Bounce, Complaint, Delivery) and find its code mail."""
    kind_name = message.get("notificationType") or message.get("eventType")
    mail = message.get("mail") if isinstance(message.get("mail"), dict) else {}
    code_request = request_for_tag(str(mail.get("source") or "").partition("+")[2].partition("@")[0])
    if code_request is None:
        headers = mail.get("commonHeaders") if isinstance(mail.get("commonHeaders"), dict) else {}
        message_id = str(headers.get("messageId") or "")
        if message_id:
            code_request = db.session.scalar(select(CodeRequest).where(CodeRequest.message_id == message_id))
    if kind_name != "Bounce" or not isinstance(message.get("bounce"), dict):
        return Report(BounceKind.IGNORED, event_key, reason=f"Amazon SES: {kind_name}"), code_request
    bounce = message["bounce"]
    recipients = [r for r in bounce.get("bouncedRecipients") or [] if isinstance(r, dict)] or [{}]
    first = recipients[0]
    kind = BounceKind.HARD if bounce.get("bounceType") == "Permanent" else BounceKind.SOFT
    return Report(kind, event_key, recipient=first.get("emailAddress"), status=first.get("status"),
                  diagnostic=_diagnostic(first.get("diagnosticCode")) or bounce.get("bounceSubType")), code_request


@bp.post("/ses")
def ses():
    """Amazon SES bounce notifications through SNS; confirms the SNS subscription too."""
    body = request.get_json(force=True, silent=True)  # SNS posts JSON as text/plain
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("Type", "MessageId", "Signature")):
        return _answer(400, "malformed")
    topic = current_app.config.get("SES_TOPIC_ARN")
    if topic and body.get("TopicArn") != topic:
        return _answer(403, "unknown topic")
    if not _sns_signature_ok(body):
        return _answer(403, "signature not valid")
    if body["Type"] == "SubscriptionConfirmation":
        url = str(body.get("SubscribeURL") or "")
        if not re.match(current_app.config["SES_CERT_URL_PATTERN"], url):
            return _answer(403, "subscription address not allowed")
        try:
            with urllib.request.urlopen(url, timeout=10):  # noqa: S310 - the address matched the allowed pattern
                pass
        except OSError:
            return _answer(503, "confirmation failed, SNS will ask again")
        return _answer(200, "subscription confirmed")
    if body["Type"] != "Notification":
        return _answer(200, "nothing to do")
    try:
        message = without_nul(json.loads(body.get("Message") or ""))
    except ValueError:
        return _answer(400, "malformed")
    if not isinstance(message, dict):
        return _answer(400, "malformed")
    report, code_request = _ses_report(message, f"ses:{body['MessageId']}")
    bounce = take(report, Intake.SES, request=code_request)
    return _answer(200, "recorded" if bounce is not None else "already recorded")
