"""E-mail over SMTP (or the file sink) through Django's mail backends.

One connection is opened per batch and reused for every mail in it. Each mail is handed over on
its own so that one refused recipient does not fail the rest, and every SMTP reply maps to sent,
retry (4xx, dropped connections, timeouts) or failed (5xx).
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
from collections.abc import Sequence
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from stadtbote.delivery.channels.base import Outcome, Outgoing

SEVERITY_LABELS = {
    "extreme": ("Extreme Gefahr", "Extreme danger"),
    "severe": ("Unwetter-/Gefahrenwarnung", "Severe warning"),
    "moderate": ("Warnung", "Warning"),
    "minor": ("Hinweis", "Advisory"),
    "info": ("Information", "Information"),
}


class EmailChannel:
    kind = "email"

    def __init__(self, tenant_name: str, *, from_email: str | None = None, connection=None):
        self.tenant_name = tenant_name
        address = (from_email or settings.DEFAULT_FROM_EMAIL).rsplit("<", 1)[-1].rstrip(">")
        self.from_email = f'"{tenant_name.replace(chr(34), "")}" <{address}>'
        self.domain = address.rsplit("@", 1)[-1]
        self._connection = connection

    def _conn(self):
        if self._connection is None:
            self._connection = get_connection(fail_silently=False)
            self._connection.open()
        return self._connection

    def _drop_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._connection.close()
            self._connection = None

    def build(self, item: Outgoing) -> EmailMultiAlternatives:
        n = item.notice
        de, en = SEVERITY_LABELS.get(n.severity, ("", ""))
        context = {
            "notice": n,
            "severity_label": de if n.language == "de" else en,
            "unsubscribe_url": item.extra.get("unsubscribe_url", ""),
            "tenant_name": self.tenant_name,
        }
        with translation.override(n.language):
            text = render_to_string("channels/email/message.txt", context)
            html = render_to_string("channels/email/message.html", context)
        mail = EmailMultiAlternatives(n.title, text, self.from_email, [item.address])
        mail.attach_alternative(html, "text/html")
        headers = {
            # Stable per delivery, so a copy resent after a crash is recognisably the same mail.
            # The key names the replaced message for an update (Web Push replaces the earlier
            # notice with it); a mail replaces nothing, so each update gets its own Message-ID.
            "Message-ID": _message_id(f"{n.message_id}:{item.key}:{n.kind}", self.domain)
            if item.key
            else make_msgid(domain=self.domain),
            "Auto-Submitted": "auto-generated",
            "Precedence": "bulk",
        }
        if context["unsubscribe_url"]:
            # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to the URL.
            headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail.extra_headers.update(headers)
        return mail

    def send(self, items: Sequence[Outgoing]) -> list[Outcome]:
        outcomes = []
        for item in items:
            outcomes.append(self._send_one(item))
        return outcomes

    def _send_one(self, item: Outgoing) -> Outcome:
        try:
            mail = self.build(item)
        except Exception as exc:  # a template bug is permanent for this mail
            return Outcome(item.delivery_id, "failed", f"could not render: {type(exc).__name__}")
        try:
            self._conn().send_messages([mail])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (550, b""))
            return _by_code(item.delivery_id, code, text)
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                return _by_code(item.delivery_id, exc.smtp_code, exc.smtp_error)
            self._drop_connection()
            return _by_code(item.delivery_id, exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPException, OSError) as exc:
            # Dropped connection, timeout, refused connect: the next mail gets a new connection.
            self._drop_connection()
            return Outcome(item.delivery_id, "retry", f"smtp: {type(exc).__name__}: {exc}"[:300])
        return Outcome(item.delivery_id, "sent")

    def close(self) -> None:
        self._drop_connection()


def _by_code(delivery_id: int, code: int, text: bytes | str) -> Outcome:
    detail = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    reason = f"smtp {code}: {detail}"[:300]
    return Outcome(delivery_id, "failed" if code >= 500 else "retry", reason)


def _message_id(key: str, domain: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"
