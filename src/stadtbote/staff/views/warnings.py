"""Official warnings in the console: what arrived and what became of it, and the town's relay
rule per source (which levels go out at once, which wait for a publisher, which are only
recorded). Sources and their addresses are the operator's (admin site, allow-listed)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from stadtbote.audit import log as audit
from stadtbote.cap.models import LEVELS, Outcome, ReceivedAlert, SourceKind, WarningSource
from stadtbote.cap.relay import CAP_LEVELS
from stadtbote.staff.access import Staff, staff_view
from stadtbote.staff.views.common import staff_page

SHOWN = 100
OUTCOMES: dict[str, Any] = {
    Outcome.RELAYED: gettext_lazy("sent to citizens"),
    Outcome.HELD: gettext_lazy("waits for a publisher"),
    Outcome.CANCELLED: gettext_lazy("all-clear sent"),
    Outcome.IGNORED: gettext_lazy("not sent (below the threshold or nothing to do)"),
    Outcome.NOT_HERE: gettext_lazy("not for this town"),
    Outcome.NOT_ACTUAL: gettext_lazy("exercise or test"),
    Outcome.EXPIRED: gettext_lazy("already expired"),
}
KINDS: dict[str, Any] = {
    SourceKind.DWD: gettext_lazy("Deutscher Wetterdienst (CAP feed)"),
    SourceKind.BUND: gettext_lazy(
        "warnung.bund.de (MoWaS, KATWARN, BIWAPP, DWD, flood centres, police)"
    ),
    SourceKind.FEED: gettext_lazy("CAP document or Atom feed"),
    SourceKind.PUSH: gettext_lazy("Pushed to the API by a warning system"),
}
LEVEL_LABELS = {
    "": gettext_lazy("never"),
    "minor": gettext_lazy("minor"),
    "moderate": gettext_lazy("moderate"),
    "severe": gettext_lazy("severe"),
    "extreme": gettext_lazy("extreme"),
}
# A received warning's CAP severity, in the words of the level the relay gives it.
CAP_SEVERITIES: dict[str, Any] = {
    cap: LEVEL_LABELS.get(level, gettext_lazy("unknown")) for cap, level in CAP_LEVELS.items()
}


@staff_view("warning.read")
def warnings(request: HttpRequest, staff: Staff) -> HttpResponse:
    t = staff.tenant
    received = (
        ReceivedAlert.objects.filter(tenant=t)
        .select_related("source", "message")
        .order_by("-received_at")[:SHOWN]
    )
    context = {
        "nav": "warnings",
        "rows": [
            {
                "a": a,
                "outcome": OUTCOMES.get(a.outcome, a.outcome),
                "severity": CAP_SEVERITIES.get(a.severity, a.severity),
            }
            for a in received
        ],
        "sources": [
            {"s": s, "kind": KINDS.get(s.kind, s.kind)}
            for s in WarningSource.objects.filter(tenant=t).order_by("name")
        ],
        "levels": [(v, LEVEL_LABELS[v]) for v in LEVELS],
        "may_manage_warnings": staff.may("warning.manage"),
    }
    return staff_page(request, staff, "staff/warnings.html", context)


@require_POST
@staff_view("warning.manage")
def source_rule(request: HttpRequest, staff: Staff, source_id: int) -> HttpResponse:
    source = get_object_or_404(WarningSource, pk=source_id, tenant=staff.tenant)
    auto_from = request.POST.get("auto_from", "")
    ignore_below = request.POST.get("ignore_below", "")
    back = HttpResponseRedirect(f"/{staff.tenant.slug}/staff/warnings/#source-{source.pk}")
    if auto_from not in LEVELS or ignore_below not in LEVELS:
        flash.error(request, _("Choose a level."))
        return back
    if auto_from and ignore_below and LEVELS.index(ignore_below) > LEVELS.index(auto_from):
        flash.error(request, _("Warnings sent at once cannot lie below the ones only recorded."))
        return back
    before = {"enabled": source.enabled, "auto_from": source.auto_from,
              "ignore_below": source.ignore_below}  # fmt: skip
    source.enabled = request.POST.get("enabled") == "1"
    source.auto_from, source.ignore_below = auto_from, ignore_below
    with transaction.atomic():
        source.save(update_fields=["enabled", "auto_from", "ignore_below"])
        audit.record(request, staff.tenant, "warning_source.rule", obj=("source", source.name),
                     before=before, after={"enabled": source.enabled, "auto_from": auto_from,
                                           "ignore_below": ignore_below})  # fmt: skip
    flash.success(request, _("Saved."))
    return back
