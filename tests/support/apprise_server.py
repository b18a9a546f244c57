"""A real, local webhook for Apprise's ``json://`` and ``form://`` schemes.

Apprise POSTs ``{"version", "title", "message", "type", ...}`` as JSON (``json://``) or as a
urlencoded form (``form://``) to the URL's host and path. The hook records what it got and
answers 200, or what a test scripted with ``fail_next``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.http_peer import Answer, HttpPeer, Request, path_only


@dataclass(frozen=True)
class Hooked:
    path: str
    title: str
    message: str
    type: str
    content_type: str


class AppriseHook(HttpPeer):
    def __init__(self) -> None:
        super().__init__()
        self.hooked: list[Hooked] = []

    def handle(self, request: Request) -> Answer:
        if request.method != "POST":
            return Answer(405, {"error": "method not allowed"})
        fields = request.fields()
        if "message" not in fields:
            return Answer(400, {"error": "no message"})
        self.hooked.append(
            Hooked(
                path=path_only(request.path),
                title=str(fields.get("title") or ""),
                message=str(fields["message"]),
                type=str(fields.get("type") or ""),
                content_type=request.headers.get("content-type", ""),
            )
        )
        return Answer(200, {"ok": True})
