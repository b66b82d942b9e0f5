"""Returned mails as real mail systems write them, for the demo's relay, the tests and the
benchmark: delivery reports (RFC 3464) in the layouts of Postfix, Exim, Exchange and Gmail, an
old-style bounce without a report part, and auto-replies that are no bounces at all."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.utils import format_datetime, make_msgid


def _crlf(text: str) -> bytes:
    """Mail on the wire ends its lines with CRLF (smtplib sends bytes as they are)."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def _headers_of(original: bytes) -> str:
    head = original.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return head.decode("utf-8", "replace").replace("\r\n", "\n")


def _report(*, sender: str, to: str, subject: str, text: str, status_fields: str, original: bytes,
            attach_whole: bool = False, extra_headers: str = "", message_id: str | None = None) -> bytes:
    boundary = f"report-{uuid.uuid4().hex}"
    original_part = (
        f"Content-Type: message/rfc822\n\n{original.decode('utf-8', 'replace').replace(chr(13), '')}"
        if attach_whole else f"Content-Type: text/rfc822-headers\n\n{_headers_of(original)}"
    )
    return _crlf(
        f"From: {sender}\nTo: <{to}>\nSubject: {subject}\nDate: {format_datetime(datetime.now(UTC))}\n"
        f"Message-ID: {message_id or make_msgid(domain='relay.example')}\nAuto-Submitted: auto-replied\n"
        f"{extra_headers}MIME-Version: 1.0\n"
        f"Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\n\n"
        f"This is a MIME-encapsulated message.\n\n--{boundary}\nContent-Type: text/plain; charset=utf-8\n\n{text}\n\n"
        f"--{boundary}\nContent-Type: message/delivery-status\n\n{status_fields}\n\n"
        f"--{boundary}\n{original_part}\n\n--{boundary}--\n"
    )


def postfix(original: bytes, envelope_to: str, recipient: str, status: str = "5.1.1",
            action: str = "failed", message_id: str | None = None) -> bytes:
    """Postfix: "Undelivered Mail Returned to Sender" with the original's headers."""
    code = "550" if status.startswith("5") else "450"
    diagnostic = f"smtp; {code} {status} <{recipient}>: Recipient address rejected: User unknown in virtual " \
                 "mailbox table"
    fields = (f"Reporting-MTA: dns; relay.praxisportal.example\nX-Postfix-Queue-ID: 4F1A2B3C4D\n"
              f"Arrival-Date: {format_datetime(datetime.now(UTC))}\n\n"
              f"Final-Recipient: rfc822; {recipient}\nOriginal-Recipient: rfc822;{recipient}\nAction: {action}\n"
              f"Status: {status}\nRemote-MTA: dns; mx.unzustellbar.example\nDiagnostic-Code: {diagnostic}")
    text = ("This is the mail system at host relay.praxisportal.example.\n\nI'm sorry to have to inform you that "
            f"your message could not be delivered to one or more recipients.\n\n<{recipient}>: host "
            f"mx.unzustellbar.example said: {diagnostic[6:]}")
    subject = "Undelivered Mail Returned to Sender" if action == "failed" else "Delayed Mail (still being retried)"
    return _report(sender="MAILER-DAEMON@relay.praxisportal.example (Mail Delivery System)", to=envelope_to,
                   subject=subject, text=text, status_fields=fields, original=original, message_id=message_id)


def exim(original: bytes, envelope_to: str, recipient: str) -> bytes:
    """Exim: "Mail delivery failed" with the whole message attached."""
    fields = (f"Reporting-MTA: dns; mail.exim.example\n\nAction: failed\nFinal-Recipient: rfc822;{recipient}\n"
              f"Status: 5.0.0\nRemote-MTA: dns; mx.unzustellbar.example\n"
              f"Diagnostic-Code: smtp; 550 No such user here")
    text = ("This message was created automatically by mail delivery software.\n\nA message that you sent could "
            f"not be delivered to one or more of its recipients. This is a permanent error.\n\n  {recipient}\n"
            "    host mx.unzustellbar.example\n    SMTP error from remote mail server after RCPT TO: 550 No such user")
    return _report(sender="Mail Delivery System <Mailer-Daemon@mail.exim.example>", to=envelope_to,
                   subject="Mail delivery failed: returning message to sender", text=text, status_fields=fields,
                   original=original, attach_whole=True, extra_headers="X-Failed-Recipients: " + recipient + "\n")


def exchange(original: bytes, envelope_to: str, recipient: str) -> bytes:
    """Microsoft Exchange / Outlook.com: "Unzustellbar" with a German text part."""
    fields = (f"Reporting-MTA: dns;EX01.praxis-kunde.example\nReceived-From-MTA: dns;EX02.praxis-kunde.example\n\n"
              f"Final-Recipient: rfc822;{recipient}\nAction: failed\nStatus: 5.1.10\n"
              f"Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP "
              f"address lookup")
    text = (f"Ihre Nachricht konnte nicht an {recipient} übermittelt werden. Die E-Mail-Adresse wurde nicht gefunden."
            "\n\nDiagnoseinformationen für Administratoren:\n550 5.1.10 RESOLVER.ADR.RecipientNotFound")
    return _report(sender="Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@kunde.example>",
                   to=envelope_to, subject="Unzustellbar: Ihr Zugangscode für die Therapeuten-App", text=text,
                   status_fields=fields, original=original)


def gmail(original: bytes, envelope_to: str, recipient: str) -> bytes:
    """Gmail: "Delivery Status Notification (Failure)"."""
    fields = (f"Reporting-MTA: dns; googlemail.com\nArrival-Date: {format_datetime(datetime.now(UTC))}\n\n"
              f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: 5.1.1\n"
              f"Remote-MTA: dns; gmail-smtp-in.l.google.com. (2a00:1450:400c:c0b::1a, the server for the "
              f"domain gmail.com.)\nDiagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach "
              f"does not exist. Please try double-checking the recipient's email address for typos or unnecessary "
              f"spaces. https://support.google.com/mail/?p=NoSuchUser")
    text = (f"** Address not found **\n\nYour message wasn't delivered to {recipient} because the address couldn't "
            "be found, or is unable to receive mail.")
    return _report(sender="Mail Delivery Subsystem <mailer-daemon@googlemail.com>", to=envelope_to,
                   subject="Delivery Status Notification (Failure)", text=text, status_fields=fields,
                   original=original)


def qmail(original: bytes, envelope_to: str, recipient: str) -> bytes:
    """An old-style bounce without a report part (qmail): only heuristics can read it."""
    return _crlf(f"From: MAILER-DAEMON@qmail.example\nTo: {envelope_to}\nSubject: failure notice\n"
            f"Message-ID: {make_msgid(domain='qmail.example')}\n\n"
            "Hi. This is the qmail-send program at qmail.example.\nI'm afraid I wasn't able to deliver your message "
            f"to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n"
            f"<{recipient}>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n--- Below this line is a copy of the "
            f"message.\n\n{original.decode('utf-8', 'replace')}")


def out_of_office(original_message_id: str, envelope_to: str, sender: str) -> bytes:
    """An out-of-office reply: Auto-Submitted, no delivery report."""
    return _crlf(f"From: {sender}\nTo: {envelope_to}\nSubject: Abwesenheitsnotiz: Ihr Zugangscode\n"
            f"Message-ID: {make_msgid(domain='praxis-kunde.example')}\nIn-Reply-To: {original_message_id}\n"
            "Auto-Submitted: auto-replied\nX-Autoreply: yes\n\n"
            "Ich bin bis zum 5. Dezember nicht im Büro und lese meine E-Mails nach meiner Rückkehr.")


def reply(envelope_to: str, sender: str) -> bytes:
    """A person answering the code mail: no bounce, no auto-reply."""
    return _crlf(f"From: {sender}\nTo: {envelope_to}\nSubject: Re: Ihr Zugangscode\n"
            f"Message-ID: {make_msgid(domain='praxis-kunde.example')}\n\nDanke, hat geklappt!")


LAYOUTS = {"postfix": postfix, "exim": exim, "exchange": exchange, "gmail": gmail, "qmail": qmail}
