"""Public, unauthenticated reads: tenant info, topics, areas, messages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router

from stadtbote.api.views import cached_json, tenant_or_404
from stadtbote.core.severity import Severity
from stadtbote.geo.models import District
from stadtbote.messages.models import Message
from stadtbote.tenants.models import Topic

router = Router(tags=["public"])


@router.get("/{tenant}", summary="Municipality: name, languages, VAPID key, links")
def tenant_info(request: HttpRequest, tenant: str) -> dict[str, Any]:
    t = tenant_or_404(tenant)
    base = f"{settings.PUBLIC_URL}/api/v1/{t.slug}"
    return {
        "slug": t.slug,
        "name": t.name,
        "languages": t.languages,
        "default_language": t.default_language,
        "vapid_public_key": t.vapid_public_key,
        "center": {"lat": t.center_lat, "lon": t.center_lon},
        "links": {
            "topics": f"{base}/topics",
            "areas": f"{base}/areas",
            "messages": f"{base}/messages",
            "subscribe": f"{base}/subscribers",
            "web": f"{settings.PUBLIC_URL}/{t.slug}/",
        },
    }


@router.get("/{tenant}/topics", summary="Topics citizens can follow")
def topics(request: HttpRequest, tenant: str, lang: str | None = None) -> list[dict[str, str]]:
    t = tenant_or_404(tenant)
    lang = lang or t.default_language
    return [
        {
            "slug": topic.slug,
            "name": topic.name.get(lang) or topic.name.get(t.default_language, topic.slug),
            "description": topic.description.get(lang)
            or topic.description.get(t.default_language, ""),
        }
        for topic in Topic.objects.filter(tenant=t)
    ]


@router.get("/{tenant}/areas", summary="Districts as a GeoJSON FeatureCollection")
def areas(request: HttpRequest, tenant: str, lang: str | None = None) -> HttpResponse:
    t = tenant_or_404(tenant)
    lang = lang or t.default_language
    districts = list(District.objects.filter(tenant=t))
    features = [
        {
            "type": "Feature",
            "id": d.slug,
            "properties": {
                "slug": d.slug,
                "name": d.name.get(lang) or d.name.get(t.default_language, d.slug),
            },
            "geometry": d.geometry,
        }
        for d in districts
    ]
    fingerprint = f"areas:{t.pk}:{lang}:" + ",".join(
        f"{d.pk}:{hash(str(d.geometry))}:{d.name}" for d in districts
    )
    return cached_json(
        request,
        {"type": "FeatureCollection", "features": features},
        max_age=3600,
        fingerprint=fingerprint,
    )


def public_area(area: dict[str, Any]) -> Any:
    kind = area.get("kind")
    if kind == "shape":
        return area["geometry"]
    if kind == "districts":
        return {"areas": area["slugs"]}
    if kind == "circle":
        return {"circle": {k: area[k] for k in ("lat", "lon", "radius_m")}}
    return None


def public_message(m: Message) -> dict[str, Any]:
    return {
        "id": str(m.id),
        "status": m.status,
        "severity": Severity(m.severity).label,
        "title": m.title,
        "body": m.body,
        "topics": [t.slug for t in m.topics.all()],
        "area": public_area(m.area),
        "published_at": m.published_at.isoformat() if m.published_at else None,
        "expires_at": m.expires_at.isoformat() if m.expires_at else None,
        "cancelled_at": m.cancelled_at.isoformat() if m.cancelled_at else None,
        "url": f"{settings.PUBLIC_URL}/{m.tenant.slug}/messages/{m.id}",
        "replaces": str(m.replaces_id) if m.replaces_id else None,
        "source": m.source_name or None,
        "instruction": m.instruction or {},
        "source_url": m.source_url or None,
    }
