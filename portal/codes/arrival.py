""""Code nicht angekommen?" beside a sent code: the three things to check, what the mail log says
about that very mail (which server took it and when, or its delivery report), and the help."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app, url_for

from ..help.links import help_page_url
from .mailer import SUBJECT
from .models import CodeRequest
from .status import CodeStatus, StatusKey

HELP_PAGE = "code-kommt-nicht-an"
# a code the mail server took and nobody used yet: this is when a therapist phones to say nothing came
SHOWN_FOR = frozenset({StatusKey.VALID, StatusKey.DELAYED, StatusKey.EXPIRED, StatusKey.BOUNCED})


@dataclass(frozen=True)
class ArrivalHelp:
    request: CodeRequest
    sender: str
    subject: str

    @property
    def log_url(self) -> str:
        """The mail log of this therapist, at this mail's row."""
        return url_for("codes.mail_log", therapist=self.request.therapist_id, _anchor=f"mail-{self.request.id}")

    @staticmethod
    def help_url(anchor: str | None = None) -> str:
        return help_page_url(HELP_PAGE, anchor)


def arrival_help(code: CodeStatus) -> ArrivalHelp | None:
    """The help for a sent code that may not have arrived; None for any other status."""
    if code.key not in SHOWN_FOR or code.request is None:
        return None
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    return ArrivalHelp(code.request, sender, SUBJECT)
