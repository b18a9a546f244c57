"""Reading tenant texts and taking accessibility feedback."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from stadtbote.core.errors import InvalidInput
from stadtbote.core.tasks import enqueue_on_commit
from stadtbote.pages.models import Feedback, PublicText
from stadtbote.pages.render import markdown
from stadtbote.tenants.models import Municipality

MAX_FEEDBACK_CHARS = 5000


@dataclass(frozen=True)
class Text:
    title: str
    html: str
    language: str
    updated_at: object


def text_for(tenant: Municipality, kind: str, language: str) -> Text | None:
    """The text in the reader's language, else the tenant's default, else any."""
    rows = {t.language: t for t in PublicText.objects.filter(tenant=tenant, kind=kind)}
    row = rows.get(language) or rows.get(tenant.default_language) or next(iter(rows.values()), None)
    if row is None:
        return None
    return Text(row.title, markdown(row.body), row.language, row.updated_at)


def take_feedback(
    tenant: Municipality, text: str, page: str = "", name: str = "", email: str = ""
) -> Feedback:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Please describe the barrier."), field="text")
    if len(text) > MAX_FEEDBACK_CHARS:
        raise InvalidInput(_("At most %(n)s characters.") % {"n": MAX_FEEDBACK_CHARS}, field="text")
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput(_("This is not a valid e-mail address."), field="email") from None
    with transaction.atomic():
        fb = Feedback.objects.create(
            tenant=tenant,
            text=text,
            page=(page or "")[:300],
            name=(name or "").strip()[:120],
            email=email,
        )
        if tenant.contact_email:
            from stadtbote.pages.tasks import notify_feedback

            enqueue_on_commit(notify_feedback, fb.pk)
    return fb
