"""A knowledge-base entry's own public page, for entries staff wrote without an external
address: the assistant cites it as the source, so citizens can read the whole text."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from stadtbote.assistant import entries
from stadtbote.assistant.models import Entry
from stadtbote.pages.render import markdown
from stadtbote.web.common import page, tenant_or_404


def entry_page(request: HttpRequest, tenant: str, entry_id: int) -> HttpResponse:
    t = tenant_or_404(tenant)
    entry = Entry.objects.filter(tenant=t, pk=entry_id).first()
    # Entries with an address elsewhere (imported pages, external links) are read there.
    if entry is None or entry.url != entries.own_url(t, entry.pk):
        raise Http404("no such page")
    return page(
        request, "web/knowledge_entry.html", t, {"entry": entry, "html": markdown(entry.body)}
    )
