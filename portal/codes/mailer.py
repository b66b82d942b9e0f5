"""The code e-mail: the access code, its expiry and the practice group's name."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_mail import Message

from ..accounts.mails import base_url
from ..i18n import datetime_filter
from ..outbox.return_path import tag_for
from ..outbox.smtp import compose
from .models import CodeRequest

SUBJECT = "Ihr Zugangscode für die Therapeuten-App"


def build_message(request: CodeRequest, code: str, expires_at: datetime) -> Message:
    """The German code mail, plain text and HTML saying the same."""
    message = compose(
        request.email, SUBJECT, "codes/email/code", request.message_id,
        code=code,
        therapist=request.therapist,
        group_name=request.therapist.group.name if request.therapist else "",
        expires=datetime_filter(expires_at),
        validity_minutes=current_app.config["ACCESS_CODE_VALIDITY_MINUTES"],
        app_url=base_url() + "/app/",
    )
    if current_app.config.get("POSTMARK_WEBHOOK_USER"):  # sent through Postmark: its bounce webhook names the mail
        message.extra_headers["X-PM-Metadata-portal_tag"] = tag_for(request.id)
    return message
