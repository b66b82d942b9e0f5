"""Provider webhooks: POST /webhooks/mail/postmark (HTTP Basic auth) and /webhooks/mail/ses
(Amazon SES through SNS, whose signature is checked against a certificate of SNS in the configured
topic's region, fetched once and kept). Each event counts once (the provider's id); a bad body
answers 400, never 500; both share a rate limit per client address."""

from __future__ import annotations

import base64
import hmac
import json
import re
import threading
import urllib.request
from datetime import timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import func, select

from .. import limits
from ..codes.models import CodeRequest
from ..errors import retry_after
from ..extensions import csrf, db, limiter
from ..outbox.delivery import Delivery
from ..security import without_nul
from ..timeutil import utcnow
from .models import BounceKind, Intake
from .parser import Report
from .services import request_for_tag, take

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/mail")
csrf.exempt(bp)
# one budget per client address for all mail webhooks (a provider retries what is refused)
limiter.shared_limit(limits.setting("WEBHOOK_LIMIT"), scope="mail-webhooks")(bp)

POSTMARK_HARD = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "Blocked", "DMARCPolicy"}
POSTMARK_SOFT = {"SoftBounce", "Transient", "DnsError", "Unknown"}
ENHANCED_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
SNS_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}


@bp.errorhandler(429)
def _too_many(_error):
    return _answer(429, "too many requests", **retry_after())


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


CERT_KEPT = timedelta(hours=24)  # SNS names a new file when it changes its certificate
FAILURE_KEPT = timedelta(minutes=10)  # an address that failed is not asked again for this long
FETCH_TIMEOUT = 5
CERT_NAME = re.compile(r"SimpleNotificationService-[0-9a-f]{1,64}\.pem")
TOPIC_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov):sns:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:[\w-]{1,256}")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # SNS answers itself; a redirect leads somewhere not allowed


_opener = urllib.request.build_opener(_NoRedirects)


def sns_endpoint() -> str | None:
    """Where SNS of the configured topic's region answers (``https://sns.<region>.amazonaws.com``),
    or SES_SNS_ENDPOINT; None without a valid SES_TOPIC_ARN (the webhook is off then)."""
    match = TOPIC_ARN.fullmatch(current_app.config.get("SES_TOPIC_ARN") or "")
    if match is None:
        return None
    partition, region = match.groups()
    domain = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return current_app.config.get("SES_SNS_ENDPOINT") or f"https://sns.{region}.{domain}"


def certificate_url_allowed(url: str) -> bool:
    """Only SNS of the configured region, and only a file named as SNS names its certificates."""
    endpoint = sns_endpoint()
    return endpoint is not None and url.startswith(endpoint + "/") and bool(
        CERT_NAME.fullmatch(url[len(endpoint) + 1:]))


class CertificateCache:
    """The signing certificates fetched, each kept a day, and the addresses that failed, kept ten
    minutes: a flood of messages naming a certificate costs one fetch, not one per message. Per
    process, bounded."""

    def __init__(self, size: int = 32) -> None:
        self.size, self._kept, self._lock = size, {}, threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def get(self, url: str) -> x509.Certificate | None:
        now = utcnow()
        with self._lock:
            until, kept = self._kept.get(url, (None, None))
        if until is not None and now < until:
            return kept
        try:
            with _opener.open(url, timeout=FETCH_TIMEOUT) as answer:
                kept, until = x509.load_pem_x509_certificate(answer.read(64 * 1024)), now + CERT_KEPT
        except (OSError, ValueError):
            kept, until = None, now + FAILURE_KEPT
        with self._lock:
            if len(self._kept) >= self.size:
                self._kept.pop(min(self._kept, key=lambda key: self._kept[key][0]))
            self._kept[url] = (until, kept)
        return kept


certificates = CertificateCache()


def _sns_signature_ok(message: dict) -> bool:
    """Check an SNS message: its certificate comes from SNS of the configured region and signs the message."""
    url = str(message.get("SigningCertURL") or "")
    fields = SNS_FIELDS.get(message.get("Type"))
    if not fields or not certificate_url_allowed(url) or message.get("SignatureVersion") not in ("1", "2"):
        return False
    text = "".join(f"{name}\n{message[name]}\n" for name in fields if name in message)
    signer = certificates.get(url)
    if signer is None or not signer.not_valid_before_utc <= utcnow() <= signer.not_valid_after_utc:
        return False
    algorithm = hashes.SHA1() if message["SignatureVersion"] == "1" else hashes.SHA256()  # noqa: S303 - SNS v1
    try:
        signer.public_key().verify(base64.b64decode(str(message.get("Signature") or ""), validate=True),
                                   text.encode(), padding.PKCS1v15(), algorithm)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


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
    endpoint = sns_endpoint()
    if endpoint is None:
        abort(404)
    body = request.get_json(force=True, silent=True)  # SNS posts JSON as text/plain
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("Type", "MessageId", "Signature")):
        return _answer(400, "malformed")
    if body.get("TopicArn") != current_app.config["SES_TOPIC_ARN"]:
        return _answer(403, "unknown topic")
    if not _sns_signature_ok(body):
        return _answer(403, "signature not valid")
    if body["Type"] == "SubscriptionConfirmation":
        url = str(body.get("SubscribeURL") or "")
        if not url.startswith(endpoint + "/?"):
            return _answer(403, "subscription address not allowed")
        try:
            with _opener.open(url, timeout=FETCH_TIMEOUT):
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
