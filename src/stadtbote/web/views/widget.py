"""The widget a town puts on its own website: a small page of current messages, made to be
framed by any site, and the one script that frames it.

The page is the only one here that other origins may frame: its Content-Security-Policy says
``frame-ancestors *`` and it is exempt from X-Frame-Options. A town has many sites (its own,
tourism, schools, the county's) and no list of them is kept, so any site may. Nothing in it
acts for the visitor (no form, no cookie, nothing personal), so being framed by a hostile site
shows that site public messages and nothing else. Everything else keeps
``frame-ancestors 'none'``.

The page is the same for everyone who asks for the same address (language, topic and length
come from the query, set by the embedding script), so shared caches may keep it for a minute.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from stadtbote.core.middleware import CSP
from stadtbote.messages.models import Message, MessageStatus
from stadtbote.tenants.models import Municipality, Topic
from stadtbote.web.common import message_view, tenant_or_404
from stadtbote.web.views.feeds import feed_language

DEFAULT_LIMIT = 5
MAX_LIMIT = 20
WIDGET_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors *")
SCRIPT = Path(__file__).resolve().parent.parent / "static" / "web" / "widget.js"


def limit_from(value: str | None) -> int:
    """``?limit=``: 1 to ``MAX_LIMIT``; anything else gives the default."""
    try:
        wanted = int(value or "")
    except ValueError:
        return DEFAULT_LIMIT
    return min(max(wanted, 1), MAX_LIMIT)


def current(tenant: Municipality, topic: Topic | None, limit: int) -> list[Message]:
    """What the town page lists as current: published, not expired, newest version only;
    the gravest first."""
    found = (
        Message.objects.filter(tenant=tenant, status=MessageStatus.PUBLISHED)
        .exclude(expires_at__lte=timezone.now())
        # A message with a published update is shown through its newest version only.
        .exclude(updates__status=MessageStatus.PUBLISHED)
    )
    if topic is not None:
        found = found.filter(topics=topic)
    return list(found.select_related("tenant").order_by("-severity", "-published_at")[:limit])


@require_safe
@xframe_options_exempt
def widget(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    slug = request.GET.get("topic") or None
    topic = get_object_or_404(Topic, tenant=t, slug=slug) if slug else None
    lang = feed_language(request, t)
    messages = current(t, topic, limit_from(request.GET.get("limit")))
    with translation.override(lang), timezone.override(ZoneInfo(t.timezone)):
        topic_name = (
            topic.name.get(lang) or topic.name.get(t.default_language) or topic.slug
            if topic
            else ""
        )
        body = render_to_string(
            "web/widget.html",
            {
                "tenant": t,
                "lang": lang,
                "topic_name": topic_name,
                "items": [message_view(m, lang) for m in messages],
            },
        )
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = WIDGET_CSP
    # Sites that isolate themselves (COEP require-corp) may still frame it.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Content-Language"] = lang
    response["Cache-Control"] = "public, max-age=60"
    response["ETag"] = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
    conditional = get_conditional_response(request, etag=response["ETag"], response=response)
    return conditional if conditional is not None else response


@cache
def _script() -> tuple[bytes, str]:
    code = SCRIPT.read_bytes()
    return code, '"' + hashlib.sha256(code).hexdigest()[:32] + '"'


@require_safe
def script(request: HttpRequest, tenant: str) -> HttpResponse:
    """The embedding script, under the town's address so that it knows where its widget is
    (from its own ``src``). The code is the static file ``web/widget.js``, the same for every
    town."""
    tenant_or_404(tenant)
    code, etag = _script() if not settings.DEBUG else _script.__wrapped__()
    response = HttpResponse(code, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    # Short: embedding sites cannot bust this cache, so a new release must reach them soon.
    response["Cache-Control"] = "public, max-age=300"
    conditional = get_conditional_response(request, etag=etag, response=response)
    return conditional if conditional is not None else response
