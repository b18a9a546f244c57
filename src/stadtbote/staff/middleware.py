"""Staff sessions end after 30 minutes without a request (a PC left unlocked in an office),
besides the absolute limit set at sign-in."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from stadtbote.audit import log as audit
from stadtbote.staff.access import login_url
from stadtbote.tenants.models import Municipality

IDLE_SECONDS = 30 * 60
STAFF_PATH = re.compile(r"^/(?P<tenant>[-a-zA-Z0-9_]+)/staff/")
KEY = "staff_seen"
POLL_HEADER = "X-Stadtbote-Poll"  # set by the queue's automatic refresh


class StaffSessionTimeout:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = STAFF_PATH.match(request.path)
        if match and request.user.is_authenticated:
            now = time.time()
            seen = request.session.get(KEY)
            if seen is not None and now - float(seen) > IDLE_SECONDS:
                town = Municipality.objects.filter(slug=match["tenant"]).first()
                audit.record(request, town, "staff.signed_out_idle")
                logout(request)
                return HttpResponseRedirect(
                    login_url(match["tenant"], request.get_full_path()) + "&expired=1"
                )
            # Polling is not the person: it must not keep an idle session alive.
            if request.headers.get(POLL_HEADER) != "1":
                request.session[KEY] = now
        return self.get_response(request)
