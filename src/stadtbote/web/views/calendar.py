"""A topic's dates as a calendar to subscribe to (webcal / .ics), public like the topic list."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_response_headers
from django.utils.translation import get_language

from stadtbote.messages import ical
from stadtbote.messages.models import Event
from stadtbote.tenants.models import Topic
from stadtbote.web.common import tenant_or_404

FEED_MAX_AGE = 15 * 60


def topic_calendar(request: HttpRequest, tenant: str, topic: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    tp = get_object_or_404(Topic, tenant=t, slug=topic)
    lang = get_language() or t.default_language
    name = f"{t.name}: {tp.name.get(lang) or tp.name.get(t.default_language) or tp.slug}"
    events = Event.objects.filter(tenant=t, topic=tp).order_by("starts_at")
    host = settings.PUBLIC_URL.split("://", 1)[-1].split("/", 1)[0]
    body = ical.calendar(
        name, events, lang, t.default_language, f"{settings.PUBLIC_URL}/{t.slug}/", host
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{t.slug}-{tp.slug}.ics"'
    patch_response_headers(response, FEED_MAX_AGE)
    return response
