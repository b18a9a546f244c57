"""A real, local Telegram Bot API as far as ``sendMessage`` goes.

``POST /bot<token>/sendMessage`` with a JSON or form body: the token must be the bot's, the
chat one the bot may post in (``@name`` or its numeric id), the text valid HTML parse mode
(only Telegram's tags; every <, > and & outside them escaped) and at most 4096 characters
after parsing; ``reply_parameters`` must name a message in that chat unless
``allow_sending_without_reply``. Answers in the Bot API's envelope (``ok``, ``result`` or
``error_code``, ``description``, ``parameters``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from tests.support.http_peer import Answer, HttpPeer, Request, path_only

LIMIT = 4096
_TAGS = r"b|strong|i|em|u|ins|s|strike|del|span|tg-spoiler|a|code|pre|blockquote|tg-emoji"
_TAG = re.compile(rf"</?({_TAGS})(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def error(code: int, description: str, **parameters: Any) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Answer(code, body)


ANSWERS = {
    "flood": error(429, "Too Many Requests: retry after 7", retry_after=7),
    "kicked": error(403, "Forbidden: bot is not a member of the channel chat"),
    "unauthorized": error(401, "Unauthorized"),
    "bad_gateway": error(502, "Bad Gateway"),
}


@dataclass(frozen=True)
class Sent:
    message_id: int
    chat: str
    text: str  # as parsed: tags removed, entities decoded
    html: str
    reply_to: int | None
    link_preview_options: dict[str, Any] | None


def parse_html(text: str) -> str:
    """The visible text of an HTML parse-mode message; ValueError where Telegram refuses it."""
    plain = _TAG.sub("", text)
    if "<" in plain or ">" in plain:
        raise ValueError("Unsupported start tag or unescaped '<'/'>'")
    if "&" in _ENTITY.sub("", plain):
        raise ValueError("Character '&' is reserved and must be escaped")
    return html.unescape(plain)


class TelegramServer(HttpPeer):
    def __init__(self, token: str, *, channel: str = "@musterstadt", channel_id: int = -1001234):
        super().__init__()
        self.token = token
        self.chats = {channel: channel_id, str(channel_id): channel_id}
        self.sent: list[Sent] = []

    def handle(self, request: Request) -> Answer:
        path = path_only(request.path)
        if not path.startswith(f"/bot{self.token}/"):
            return ANSWERS["unauthorized"] if path.startswith("/bot") else error(404, "Not Found")
        if path.removeprefix(f"/bot{self.token}/") != "sendMessage":
            return error(404, "Not Found: method not found")
        form = request.fields()
        chat = self.chats.get(str(form.get("chat_id")))
        if chat is None:
            return error(400, "Bad Request: chat not found")
        raw = str(form.get("text") or "")
        if form.get("parse_mode") == "HTML":
            try:
                text = parse_html(raw)
            except ValueError as exc:
                return error(400, f"Bad Request: can't parse entities: {exc}")
        else:
            text = raw
        if not text.strip():
            return error(400, "Bad Request: message text is empty")
        if len(text) > LIMIT:
            return error(400, "Bad Request: message is too long")
        reply_to = self._reply_to(form, chat)
        if isinstance(reply_to, Answer):
            return reply_to
        sent = Sent(
            message_id=len(self.sent) + 1,
            chat=str(chat),
            text=text,
            html=raw,
            reply_to=reply_to,
            link_preview_options=form.get("link_preview_options"),
        )
        self.sent.append(sent)
        result = {"message_id": sent.message_id, "chat": {"id": chat, "type": "channel"}}
        result["text"] = text
        return Answer(200, {"ok": True, "result": result})

    def _reply_to(self, form: dict[str, Any], chat: int) -> int | Answer | None:
        params = form.get("reply_parameters")
        if params is None and form.get("reply_to_message_id") is not None:
            params = {"message_id": int(form["reply_to_message_id"])}
        if params is None:
            return None
        wanted = int(params["message_id"])
        if any(s.message_id == wanted and s.chat == str(chat) for s in self.sent):
            return wanted
        if params.get("allow_sending_without_reply"):
            return None
        return error(400, "Bad Request: message to be replied not found")
