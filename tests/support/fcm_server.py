"""A real, local Firebase Cloud Messaging HTTP v1 service with Google's OAuth token endpoint.

Used by the FCM channel tests (``with FcmServer("stadtbote-test") as fcm: ...``):

- ``POST /token`` is the OAuth 2.0 JWT-bearer grant (RFC 7523) as ``oauth2.googleapis.com``
  runs it: the RS256 assertion must verify against a registered service account's public key,
  with ``iss``, ``scope``, ``aud``, ``iat`` and ``exp`` as Google demands. It hands out
  ``ya29.fake-<n>`` access tokens that expire after ``token_lifetime`` seconds of ``clock``.
- ``POST /v1/projects/<project>/messages:send`` checks the Bearer token, validates the message
  against the v1 schema (unknown fields, data values that are not strings, reserved data keys,
  priorities, ttl syntax, the 4 KB limit) and answers like FCM, errors in Google's format.

Per registration token it can be scripted (``respond(token, "unregistered")``) to answer with
one of ``ANSWERS``, and delayed (``set_delay``). The service accounts it verifies come from
``tests/support/fcm_keys.py``.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.fcm_keys import b64url_decode

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = 3600
CLOCK_SKEW = 60
MAX_PAYLOAD = 4096
MAX_TTL_SECONDS = 28 * 86400
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"

_MESSAGE_FIELDS = frozenset(
    {"name", "data", "notification", "android", "webpush", "apns", "fcm_options"}
    | {"token", "topic", "condition"}
)
_NOTIFICATION_FIELDS = frozenset({"title", "body", "image"})
_ANDROID_FIELDS = frozenset(
    {"collapse_key", "priority", "ttl", "restricted_package_name", "data", "notification"}
    | {"fcm_options", "direct_boot_ok"}
)
_ANDROID_NOTIFICATION_FIELDS = frozenset(
    {"title", "body", "icon", "color", "sound", "tag", "click_action", "body_loc_key"}
    | {"body_loc_args", "title_loc_key", "title_loc_args", "channel_id", "ticker", "sticky"}
    | {"event_time", "local_only", "notification_priority", "default_sound", "visibility"}
    | {"default_vibrate_timings", "default_light_settings", "image", "notification_count"}
)
_TTL_RE = re.compile(r"^(\d+)(\.\d{1,9})?s$")
_RESERVED_DATA = frozenset({"from", "notification", "message_type"})


def _error(
    code: int, status: str, message: str, error_code: str = "", field_name: str = ""
) -> dict[str, Any]:
    details: list[dict[str, Any]] = []
    if error_code:
        details.append({"@type": FCM_ERROR, "errorCode": error_code})
    if field_name:
        details.append(
            {
                "@type": BAD_REQUEST,
                "fieldViolations": [{"field": field_name, "description": message}],
            }
        )
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return {"error": error}


# What FCM really answers in these cases (status, JSON body or raw text).
ANSWERS: dict[str, tuple[int, dict[str, Any] | str]] = {
    "unregistered": (
        404,
        _error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"),
    ),
    "invalid_token": (
        400,
        _error(
            400,
            "INVALID_ARGUMENT",
            "The registration token is not a valid FCM registration token",
            "INVALID_ARGUMENT",
        ),
    ),
    "sender_id_mismatch": (
        403,
        _error(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH"),
    ),
    "quota_exceeded": (
        429,
        _error(
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Send requests'",
            "QUOTA_EXCEEDED",
        ),
    ),
    "unavailable": (
        503,
        _error(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"),
    ),
    "internal": (500, _error(500, "INTERNAL", "Internal error encountered.", "INTERNAL")),
    "unauthenticated": (
        401,
        _error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token.",
        ),
    ),
    "third_party_auth": (
        401,
        _error(
            401,
            "UNAUTHENTICATED",
            "Auth error from APNS or Web Push Service",
            "THIRD_PARTY_AUTH_ERROR",
        ),
    ),
    "forbidden_project": (
        403,
        _error(403, "PERMISSION_DENIED", "Permission 'cloudmessaging.messages.create' denied"),
    ),
    # Not FCM at all: what a misconfigured proxy in between might say.
    "malformed_success": (200, "<html><body>OK</body></html>"),
    "malformed_error": (502, "<html><body>Bad Gateway</body></html>"),
}


# -- the server --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    token: str
    message: dict[str, Any]
    access_token: str
    received_at: float


@dataclass(frozen=True)
class TokenRequest:
    status: int
    client_email: str | None
    claims: dict[str, Any] | None
    reason: str = ""


@dataclass
class _Script:
    answer: str
    times: int | None
    retry_after: str | None


@dataclass
class _State:
    received: list[Received] = field(default_factory=list)
    token_requests: list[TokenRequest] = field(default_factory=list)
    send_requests: int = 0
    # The client's (address, port) of each connection a send came on: new ones are handshakes.
    connections: set[tuple[str, int]] = field(default_factory=set)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (clock)


class FcmServer:
    def __init__(
        self,
        project_id: str = "stadtbote-test",
        *,
        clock: Callable[[], float] = time.time,
        token_lifetime: int = 3599,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.project_id = project_id
        self.clock = clock
        self.token_lifetime = token_lifetime
        self._host = host
        self._port = port
        self._accounts: dict[str, rsa.RSAPublicKey] = {}
        self._lock = threading.Lock()
        self._state = _State()
        self._scripts: dict[str, list[_Script]] = {}
        self._token_failures: list[tuple[int, dict[str, Any]]] = []
        self._delays: dict[str | None, float] = {}
        self._issued = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FcmServer:
        loop = self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name="fcm-server", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start_server(), loop).result(10)
        except BaseException:
            self.stop()
            raise
        return self

    async def _start_server(self) -> None:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_post("/token", self._token)
        app.router.add_post("/v1/projects/{project}/messages:send", self._send)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        self._port = self._runner.addresses[0][1]

    def stop(self) -> None:
        loop, thread, runner = self._loop, self._thread, self._runner
        if loop is None or thread is None:
            return
        if runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._loop = self._thread = self._runner = None

    def __enter__(self) -> FcmServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """What to pass as the channel's ``endpoint``."""
        return f"http://{self._host}:{self._port}"

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    # -- setup -------------------------------------------------------------------------------

    def add_account(self, info: dict[str, str]) -> None:
        """Trust a service account (as the key file's public half is known to Google)."""
        key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        self._accounts[info["client_email"]] = key.public_key()

    def respond(
        self,
        token: str,
        answer: str,
        times: int | None = 1,
        retry_after: float | str | None = None,
    ) -> None:
        """Answer the next ``times`` valid sends to ``token`` with ``ANSWERS[answer]``."""
        if answer not in ANSWERS:
            raise ValueError(f"unknown answer {answer!r}; use one of {sorted(ANSWERS)}")
        after = None if retry_after is None else str(retry_after)
        with self._lock:
            self._scripts.setdefault(token, []).append(_Script(answer, times, after))

    def fail_token_requests(self, status: int = 500, times: int = 1) -> None:
        body = {"error": "internal_failure", "error_description": "scripted failure"}
        with self._lock:
            self._token_failures.extend([(status, body)] * times)

    def revoke_access_tokens(self) -> None:
        """Forget every issued access token: the next send with one gets a 401."""
        with self._lock:
            self._state.access_tokens.clear()

    def set_delay(self, seconds: float, token: str | None = None) -> None:
        with self._lock:
            self._delays[token] = seconds

    # -- observations ------------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._state.received)

    def received_for(self, token: str) -> list[Received]:
        return [r for r in self.received if r.token == token]

    @property
    def token_requests(self) -> list[TokenRequest]:
        with self._lock:
            return list(self._state.token_requests)

    @property
    def issued_tokens(self) -> list[TokenRequest]:
        return [r for r in self.token_requests if r.status == 200]

    def settle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being handled (e.g. ones the client gave up on)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._state.in_flight == 0:
                    return True
            time.sleep(0.01)
        return False

    def stats(self) -> dict[str, Any]:
        with self._lock:
            s = self._state
            return {
                "accepted": len(s.received),
                "send_requests": s.send_requests,
                "token_requests": len(s.token_requests),
                "rejections": [f"{st} {why}" for st, why in s.rejected[-20:]],
                "max_in_flight": s.max_in_flight,
                "connections": len(s.connections),
            }

    # -- token endpoint ----------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        status, body, email, claims = self._grant(dict(form))
        reason = "" if status == 200 else str(body.get("error_description", ""))
        with self._lock:
            self._state.token_requests.append(TokenRequest(status, email, claims, reason))
        return web.json_response(body, status=status)

    def _grant(
        self, form: dict[str, Any]
    ) -> tuple[int, dict[str, Any], str | None, dict[str, Any] | None]:
        def invalid(
            description: str, error: str = "invalid_grant"
        ) -> tuple[int, dict[str, Any], str | None, dict[str, Any] | None]:
            return 400, {"error": error, "error_description": description}, None, None

        with self._lock:
            failure = self._token_failures.pop(0) if self._token_failures else None
        if failure is not None:
            return failure[0], failure[1], None, None
        if form.get("grant_type") != GRANT_TYPE:
            return invalid("Invalid grant_type", "unsupported_grant_type")
        jwt = form.get("assertion")
        if not isinstance(jwt, str) or jwt.count(".") != 2:
            return invalid("Invalid JWT: assertion missing or not a JWS")
        header_b64, claims_b64, signature_b64 = jwt.split(".")
        try:
            header = json.loads(b64url_decode(header_b64))
            claims = json.loads(b64url_decode(claims_b64))
            signature = b64url_decode(signature_b64)
        except ValueError:
            return invalid("Invalid JWT: cannot decode")
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return invalid("Invalid JWT: header and claims must be objects")
        if header.get("alg") != "RS256":
            return invalid("Invalid JWT: alg must be RS256")
        email = claims.get("iss")
        public_key = self._accounts.get(email) if isinstance(email, str) else None
        if public_key is None:
            return invalid("Invalid JWT: unknown issuer")
        try:
            public_key.verify(
                signature,
                f"{header_b64}.{claims_b64}".encode("ascii"),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            return invalid("Invalid JWT Signature.")
        if claims.get("aud") != self.token_url:
            return invalid(f"Invalid JWT: aud must be {self.token_url}")
        if SCOPE not in str(claims.get("scope", "")).split():
            return invalid(f"Invalid JWT: scope must include {SCOPE}", "invalid_scope")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int):
            return invalid("Invalid JWT: iat and exp must be integers")
        now = self.clock()
        if iat > now + CLOCK_SKEW or exp <= now:
            return invalid(
                "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
            )
        if not 0 < exp - iat <= MAX_ASSERTION_LIFETIME:
            return invalid("Invalid JWT: exp must be at most one hour after iat")
        with self._lock:
            self._issued += 1
            token = f"ya29.fake-{self._issued:04d}"
            self._state.access_tokens[token] = now + self.token_lifetime
        body = {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}
        return 200, body, email, claims

    # -- messages:send -----------------------------------------------------------------------

    async def _send(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            s = self._state
            s.send_requests += 1
            peer = request.transport.get_extra_info("peername") if request.transport else None
            if peer:
                s.connections.add((peer[0], peer[1]))
            s.in_flight += 1
            s.max_in_flight = max(s.max_in_flight, s.in_flight)
        try:
            return await self._process(request)
        finally:
            with self._lock:
                self._state.in_flight -= 1

    def _answer(
        self, status: int, body: dict[str, Any] | str, retry_after: str | None = None
    ) -> web.Response:
        if status != 200:
            reason = body if isinstance(body, str) else str(body["error"]["message"])
            with self._lock:
                self._state.rejected.append((status, reason))
        headers = {"Retry-After": retry_after} if retry_after is not None else None
        if isinstance(body, str):
            return web.Response(status=status, text=body, content_type="text/html", headers=headers)
        return web.json_response(body, status=status, headers=headers)

    async def _process(self, request: web.Request) -> web.StreamResponse:
        authorization = request.headers.get("Authorization", "")
        access_token = authorization.removeprefix("Bearer ")
        with self._lock:
            expiry = self._state.access_tokens.get(access_token)
        if not authorization.startswith("Bearer ") or expiry is None or expiry <= self.clock():
            return self._answer(*ANSWERS["unauthenticated"])
        if request.match_info["project"] != self.project_id:
            return self._answer(*ANSWERS["forbidden_project"])
        if request.content_type != "application/json":
            return self._answer(400, _error(400, "INVALID_ARGUMENT", "Content-Type must be JSON"))
        try:
            document = json.loads(await request.read())
        except ValueError:
            return self._answer(
                400, _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
            )
        problem = validate(document)
        if problem is not None:
            field_name, message = problem
            return self._answer(
                400, _error(400, "INVALID_ARGUMENT", message, "INVALID_ARGUMENT", field_name)
            )
        message = document["message"]
        token = message.get("token", "")

        delay = self._delays.get(token, self._delays.get(None, 0.0))
        if delay:
            await asyncio.sleep(delay)
        script = self._next_script(token)
        if script is not None:
            status, body = ANSWERS[script.answer]
            return self._answer(status, body, script.retry_after)

        with self._lock:
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499)  # the client gave up; nothing was delivered
            self._state.received.append(Received(token, message, access_token, time.time()))
            name = f"projects/{self.project_id}/messages/0:{len(self._state.received):06d}"
        return web.json_response({"name": name})

    def _next_script(self, token: str) -> _Script | None:
        with self._lock:
            queue = self._scripts.get(token)
            if not queue:
                return None
            script = queue[0]
            if script.times is not None:
                script.times -= 1
                if script.times <= 0:
                    queue.pop(0)
            return script


def validate(document: Any) -> tuple[str, str] | None:
    """``(field, message)`` of the first schema violation in a send request, or None."""
    if not isinstance(document, dict) or not isinstance(document.get("message"), dict):
        return "message", "Invalid JSON payload received. 'message' must be an object."
    unknown = set(document) - {"message", "validate_only"}
    if unknown:
        return min(unknown), f"Invalid JSON payload received. Unknown name {min(unknown)!r}"
    message = document["message"]
    unknown = set(message) - _MESSAGE_FIELDS
    if unknown:
        name = min(unknown)
        return (
            f"message.{name}",
            f"Invalid JSON payload received. Unknown name {name!r} at 'message'",
        )
    targets = [t for t in ("token", "topic", "condition") if t in message]
    if len(targets) != 1:
        return "message", "Exactly one of token, topic or condition must be specified"
    if "token" in message and (not isinstance(message["token"], str) or not message["token"]):
        return "message.token", "The registration token is not a valid FCM registration token"
    notification = message.get("notification", {})
    if not isinstance(notification, dict):
        return "message.notification", "notification must be an object"
    for key, value in notification.items():
        if key not in _NOTIFICATION_FIELDS or not isinstance(value, str):
            return f"message.notification.{key}", f"Invalid value at 'message.notification.{key}'"
    data = message.get("data", {})
    if not isinstance(data, dict):
        return "message.data", "data must be a map"
    for key, value in data.items():
        if not isinstance(value, str):
            return f"message.data[{key}]", f"Invalid value at 'message.data[{key}]' (TYPE_STRING)"
        if key in _RESERVED_DATA or key.startswith(("google", "gcm")):
            return f"message.data[{key}]", f"Invalid data payload key: {key}"
    size = len(
        json.dumps({"notification": notification, "data": data}, ensure_ascii=False).encode()
    )
    if size > MAX_PAYLOAD:
        return "message", f"Message is too big ({size} bytes)"
    android = message.get("android", {})
    if not isinstance(android, dict):
        return "message.android", "android must be an object"
    unknown = set(android) - _ANDROID_FIELDS
    if unknown:
        name = min(unknown)
        return f"message.android.{name}", f"Invalid JSON payload received. Unknown name {name!r}"
    if android.get("priority", "NORMAL") not in ("NORMAL", "HIGH"):
        return "message.android.priority", "Invalid value at 'message.android.priority'"
    if "collapse_key" in android and not isinstance(android["collapse_key"], str):
        return "message.android.collapse_key", "Invalid value at 'message.android.collapse_key'"
    if "ttl" in android:
        match = _TTL_RE.match(android["ttl"]) if isinstance(android["ttl"], str) else None
        if match is None or int(match.group(1)) > MAX_TTL_SECONDS:
            return "message.android.ttl", "Invalid value at 'message.android.ttl' (Duration)"
    android_notification = android.get("notification", {})
    if not isinstance(android_notification, dict):
        return "message.android.notification", "android.notification must be an object"
    unknown = set(android_notification) - _ANDROID_NOTIFICATION_FIELDS
    if unknown:
        name = min(unknown)
        return f"message.android.notification.{name}", f"Unknown name {name!r}"
    return None
