"""What a recipient sees: a Notice per message and language."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from stadtbote.core.severity import Severity
from stadtbote.delivery.channels.base import Notice
from stadtbote.delivery.rules import pick_language
from stadtbote.messages.models import Message


def message_url(message: Message) -> str:
    return f"{settings.PUBLIC_URL}/{message.tenant.slug}/messages/{message.id}"


def _official(message: Message, lang: str, body: str) -> str:
    """A relayed official warning carries what to do and who issued it in every channel, not
    only on its page: a push or mail may be all someone reads."""
    instruction = message.instruction.get(lang) or message.instruction.get(
        message.tenant.default_language, ""
    )
    parts = [body] if body else []
    with translation.override(lang):
        if instruction:
            parts.append(_("What you should do: %(instruction)s") % {"instruction": instruction})
        if message.source_name:
            parts.append(_("Source: %(source)s") % {"source": message.source_name})
    return "\n\n".join(parts)


def notice(message: Message, kind: str, language: str) -> Notice:
    tenant = message.tenant
    lang = pick_language(message.title, language, tenant.default_language)
    title = message.title.get(lang, "")
    body = message.body.get(lang, "") or message.body.get(tenant.default_language, "")
    previous_severity = None
    if kind == "withdrawal":
        with translation.override(lang):
            title = _("Withdrawn: %(title)s") % {"title": title}
            body = _("This message is no longer valid. Please disregard it.")
    else:
        if kind == "update":
            with translation.override(lang):
                title = _("Update: %(title)s") % {"title": title}
            replaced = message.replaces
            if replaced is not None:
                previous_severity = Severity(replaced.severity).label
        body = _official(message, lang, body)
    return Notice(
        message_id=str(message.id),
        kind="withdrawal" if kind == "withdrawal" else "update" if kind == "update" else "message",
        replaces=str(message.replaces_id) if kind == "update" else None,
        previous_severity=previous_severity,
        title=title,
        body=body,
        severity=Severity(message.severity).label,
        url=message_url(message),
        language=lang,
        tenant=tenant.slug,
        tenant_name=tenant.name,
        expires_at=message.expires_at.isoformat() if message.expires_at else None,
        sent_at=message.published_at.isoformat() if message.published_at else None,
    )
