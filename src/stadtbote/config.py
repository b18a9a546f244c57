"""Configuration from the environment: parsed strictly, failing fast with a clear message.

Only the variables of SPEC.md exist; everything else is a code default. Parsing is pure (it takes
the environment as a mapping) so it is tested without touching ``os.environ``.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url

# Where official warnings are polled from without any configuration (https only); an operator
# adds others (a Land's flood centre, a test server) with STADTBOTE_CAP_ALLOWED_HOSTS.
CAP_DEFAULT_HOSTS = ("opendata.dwd.de", "www.dwd.de", "warnung.bund.de")
# Where broadcast channels may post without configuration (https only); an operator adds the
# town's Mastodon instance or Matrix homeserver with STADTBOTE_BROADCAST_ALLOWED_HOSTS.
BROADCAST_DEFAULT_HOSTS = ("api.telegram.org",)
# The assistant's generative mode (assistant/generate.py): seconds one answer may take in all.
ASSISTANT_LLM_TIMEOUT = 8.0
ASSISTANT_LLM_MAX_TIMEOUT = 60.0


class ConfigError(Exception):
    """A configuration variable is malformed; the message names it."""


@dataclass(frozen=True)
class EmailConfig:
    backend: str
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    file_path: str = ""


@dataclass(frozen=True)
class AssistantLlmConfig:
    """An OpenAI-compatible chat-completions endpoint for the assistant's generative mode."""

    url: str  # base URL without a trailing slash; requests go to {url}/chat/completions
    model: str
    api_key: str = field(default="", repr=False)  # sent as a Bearer token; never printed
    timeout: float = ASSISTANT_LLM_TIMEOUT  # seconds for the whole call, retry included


@dataclass(frozen=True)
class Config:
    var_dir: Path
    database: dict[str, Any]
    secret_key: str
    email: EmailConfig
    webpush_allowed_hosts: tuple[str, ...]
    cap_allowed_hosts: tuple[str, ...]  # extra to CAP_DEFAULT_HOSTS
    tasks_backend: str
    public_url: str
    debug: bool
    assistant_llm: AssistantLlmConfig | None = None  # None: the generative mode is off
    broadcast_allowed_hosts: tuple[str, ...] = ()  # extra to BROADCAST_DEFAULT_HOSTS


def parse_database_url(value: str, var_dir: Path) -> dict[str, Any]:
    name = "STADTBOTE_DATABASE_URL"
    if value.startswith("sqlite:///"):
        path = Path(value.removeprefix("sqlite:///"))
        if not path.is_absolute():
            path = Path.cwd() / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            # WAL lets the web server read while a worker writes; IMMEDIATE avoids the
            # "database is locked" upgrade deadlock between concurrent writers.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000;"
                ),
            },
            "TEST": {"NAME": str(var_dir / "test.sqlite3")},
            # Opening a connection (and its PRAGMAs) costs more than most requests' queries.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    if value.split("://", 1)[0] in ("postgres", "postgresql"):
        try:
            cfg = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from exc
        cfg["ENGINE"] = "django.db.backends.postgresql"
        return dict(cfg)
    raise ConfigError(f"{name} must start with sqlite:/// or postgres://, got {value!r}")


def parse_email_url(value: str | None, var_dir: Path) -> EmailConfig:
    if not value:
        return EmailConfig(
            backend="django.core.mail.backends.filebased.EmailBackend",
            file_path=str(var_dir / "mail"),
        )
    name = "STADTBOTE_EMAIL_URL"
    parts = urlsplit(value)
    if parts.scheme != "smtp":
        raise ConfigError(f"{name} must look like smtp://[user:pass@]host:port[?tls=starttls|ssl]")
    if not parts.hostname:
        raise ConfigError(f"{name} has no host")
    try:
        port = parts.port or 25
    except ValueError as exc:
        raise ConfigError(f"{name} has an invalid port") from exc
    query = parse_qs(parts.query)
    unknown = set(query) - {"tls"}
    if unknown:
        raise ConfigError(f"{name} has unknown parameter(s): {', '.join(sorted(unknown))}")
    tls = query.get("tls", [""])[0]
    if tls not in ("", "starttls", "ssl"):
        raise ConfigError(f"{name}: tls must be starttls or ssl, got {tls!r}")
    return EmailConfig(
        backend="django.core.mail.backends.smtp.EmailBackend",
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=tls == "starttls",
        use_ssl=tls == "ssl",
    )


def parse_hosts(
    value: str | None, name: str = "STADTBOTE_WEBPUSH_ALLOWED_HOSTS"
) -> tuple[str, ...]:
    if not value:
        return ()
    hosts = tuple(h.strip().lower() for h in value.split(",") if h.strip())
    for host in hosts:
        if "/" in host or "@" in host or " " in host:
            raise ConfigError(f"{name}: {host!r} is not a host or host:port")
    return hosts


def parse_public_url(value: str | None) -> str:
    url = (value or "http://127.0.0.1:8000").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"STADTBOTE_PUBLIC_URL must be an http(s) URL, got {value!r}")
    return url


def parse_assistant_llm(env: Mapping[str, str]) -> AssistantLlmConfig | None:
    """The generative mode's endpoint: off unless STADTBOTE_ASSISTANT_LLM_URL is set. The URL
    is the operator's (no allow-list); the key only ever comes from the environment."""
    prefix = "STADTBOTE_ASSISTANT_LLM_"
    url = (env.get(prefix + "URL") or "").strip()
    model = (env.get(prefix + "MODEL") or "").strip()
    api_key = env.get(prefix + "API_KEY") or ""
    timeout = (env.get(prefix + "TIMEOUT") or "").strip()
    if not url:
        stray = [n for n in ("MODEL", "API_KEY", "TIMEOUT") if env.get(prefix + n)]
        if stray:
            raise ConfigError(
                f"{prefix}{stray[0]} is set but {prefix}URL is not (set both, or neither)"
            )
        return None
    name = prefix + "URL"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http(s) URL such as http://127.0.0.1:8080/v1")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"{name} must not contain user:password (use {prefix}API_KEY)")
    if parts.query or parts.fragment or any(c.isspace() for c in url):
        raise ConfigError(f"{name} must be a base URL without query, fragment or spaces")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise ConfigError(f"{name} has an invalid port") from exc
    if not model:
        raise ConfigError(f"{prefix}MODEL is required when {name} is set")
    if len(model) > 200 or not model.isprintable():
        raise ConfigError(f"{prefix}MODEL must be a model name of at most 200 characters")
    if api_key and (not api_key.isascii() or not api_key.isprintable() or " " in api_key):
        raise ConfigError(f"{prefix}API_KEY must be printable ASCII without spaces")
    seconds = ASSISTANT_LLM_TIMEOUT
    if timeout:
        try:
            seconds = float(timeout)
        except ValueError:
            seconds = math.nan
        if not 0 < seconds <= ASSISTANT_LLM_MAX_TIMEOUT:
            raise ConfigError(
                f"{prefix}TIMEOUT must be seconds above 0 and at most "
                f"{ASSISTANT_LLM_MAX_TIMEOUT:g}, got {timeout!r}"
            )
    return AssistantLlmConfig(url=url.rstrip("/"), model=model, api_key=api_key, timeout=seconds)


def load_secret_key(value: str | None, var_dir: Path) -> str:
    if value:
        if len(value) < 32:
            raise ConfigError("STADTBOTE_SECRET_KEY must be at least 32 characters")
        return value
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


def parse(env: Mapping[str, str]) -> Config:
    var_dir = Path(env.get("STADTBOTE_VAR_DIR") or "var").resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    backend = env.get("STADTBOTE_TASKS_BACKEND") or "db"
    if backend != "db":
        raise ConfigError(f"STADTBOTE_TASKS_BACKEND: only 'db' is supported, got {backend!r}")
    debug = (env.get("STADTBOTE_DEBUG") or "0").lower()
    if debug not in ("0", "1", "true", "false"):
        raise ConfigError("STADTBOTE_DEBUG must be 0 or 1")
    return Config(
        var_dir=var_dir,
        database=parse_database_url(
            env.get("STADTBOTE_DATABASE_URL") or f"sqlite:///{var_dir / 'stadtbote.sqlite3'}",
            var_dir,
        ),
        secret_key=load_secret_key(env.get("STADTBOTE_SECRET_KEY"), var_dir),
        email=parse_email_url(env.get("STADTBOTE_EMAIL_URL"), var_dir),
        webpush_allowed_hosts=parse_hosts(env.get("STADTBOTE_WEBPUSH_ALLOWED_HOSTS")),
        cap_allowed_hosts=parse_hosts(
            env.get("STADTBOTE_CAP_ALLOWED_HOSTS"), "STADTBOTE_CAP_ALLOWED_HOSTS"
        ),
        tasks_backend=backend,
        public_url=parse_public_url(env.get("STADTBOTE_PUBLIC_URL")),
        debug=debug in ("1", "true"),
        assistant_llm=parse_assistant_llm(env),
        broadcast_allowed_hosts=parse_hosts(
            env.get("STADTBOTE_BROADCAST_ALLOWED_HOSTS"), "STADTBOTE_BROADCAST_ALLOWED_HOSTS"
        ),
    )
