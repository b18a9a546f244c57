"""What makes the citizen app installable: manifest, service worker, icons, theme."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from stadtbote.web import icons
from stadtbote.web.common import page, tenant_or_404
from stadtbote.web.presentation import SEVERITY_LOOKS
from stadtbote.web.release import release

# Same-origin files the app needs offline; the service worker fetches them on install.
SHELL_STATIC = (
    "web/base.css",
    "web/app.js",
    "web/map.js",
    "web/onboarding.js",
    "leaflet/leaflet.css",
    "leaflet/leaflet.js",
)


def manifest(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    base = f"/{t.slug}/"
    data = {
        "id": base,
        "name": t.name,
        "short_name": t.name.split("(")[0].strip()[:12].strip() or t.name[:12],
        "description": _("Messages and warnings from %(name)s") % {"name": t.name},
        "lang": get_language(),
        "start_url": f"{base}inbox?source=app",
        "scope": base,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": t.theme_color,
        "icons": [
            {"src": f"{base}icon-{s}.png", "sizes": f"{s}x{s}", "type": "image/png"}
            for s in icons.SIZES
        ]
        + [
            {
                "src": f"{base}icon-512-maskable.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            }
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "public, max-age=3600"
    return response


def icon(request: HttpRequest, tenant: str, size: int, variant: str = "") -> HttpResponse:
    if size not in icons.SIZES:
        raise Http404
    t = tenant_or_404(tenant)
    data = icons.png(t.name[:1], t.theme_color, size, maskable=variant == "maskable")
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "public, max-age=86400"
    response["ETag"] = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
    return response


def theme(request: HttpRequest, tenant: str) -> HttpResponse:
    """The tenant's colour as CSS: the CSP forbids inline styles."""
    t = tenant_or_404(tenant)
    response = HttpResponse(
        f":root {{ --theme: {t.theme_color}; }}\n", content_type="text/css; charset=utf-8"
    )
    response["Cache-Control"] = "public, max-age=300"
    return response


def service_worker(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    base = f"/{t.slug}/"
    shell = [static(p) for p in SHELL_STATIC] + [
        f"{base}offline",
        f"{base}theme.css",
        f"{base}icon-192.png",
        f"{base}icon-72.png",
    ]
    labels = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            labels[code] = {look.code: str(look.label) for look in SEVERITY_LOOKS.values()}
    config = {
        "slug": t.slug,
        "name": t.name,
        "base": base,
        "release": release(),
        "shell": shell,
        "areas": f"/api/v1/{t.slug}/areas",
        "receipts": f"/api/v1/{t.slug}/receipts",
        "lang": t.default_language,
        "labels": labels,
    }
    js = render_to_string(
        "web/sw.js",
        {"tenant": t, "base": base, "release": release(), "config_json": json.dumps(config)},
    )
    response = HttpResponse(js, content_type="text/javascript; charset=utf-8")
    # Browsers check for a new worker on navigation; never let a cache hide a new release.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = base
    return response


def offline(request: HttpRequest, tenant: str) -> HttpResponse:
    t = tenant_or_404(tenant)
    return page(request, "web/offline.html", t)
