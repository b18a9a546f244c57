"""Native app push credentials (FCM, APNs) per town, only ever from the environment.

A county IT provider runs one Stadtbote for many towns: some towns share the county's app, some
have their own. So every variable exists twice: ``STADTBOTE_FCM_PROJECT_ID`` is the shared app,
``STADTBOTE_FCM_MUSTERSTADT_PROJECT_ID`` the app of the town with slug ``musterstadt`` (slug in
capitals, ``-`` as ``_``). A town with any variable of its own uses only its own set; the others
use the shared set; with neither, the town has no app push of that kind.

Key material comes inline (``…_CREDENTIALS``, ``…_KEY``) or from a file (``…_CREDENTIALS_FILE``,
``…_KEY_FILE``, as container secrets are mounted). Parsing is pure (the environment is passed in)
and never puts key material into an error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

FCM_PREFIX = "STADTBOTE_FCM_"
APNS_PREFIX = "STADTBOTE_APNS_"
# Longest first: a variable's field is its longest matching suffix.
FCM_FIELDS = ("CREDENTIALS_FILE", "CREDENTIALS", "PROJECT_ID", "TOKEN_URL", "ENDPOINT")
APNS_FIELDS = (
    "CRITICAL_ALERTS",
    "KEY_FILE",
    "ENDPOINT",
    "CA_FILE",
    "TEAM_ID",
    "KEY_ID",
    "TOPIC",
    "KEY",
)
APNS_ENDPOINTS = {
    "production": "https://api.push.apple.com",
    "sandbox": "https://api.sandbox.push.apple.com",
}


class CredentialsError(ValueError):
    """A push credential variable is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class FcmCredentials:
    project_id: str
    service_account: str = field(repr=False)  # the JSON key file's text
    endpoint: str = "https://fcm.googleapis.com"
    token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL, not a secret)


@dataclass(frozen=True)
class ApnsCredentials:
    team_id: str
    key_id: str
    private_key_pem: str = field(repr=False)
    topic: str  # the app's bundle id
    endpoint: str = APNS_ENDPOINTS["production"]
    ca_file: str = ""  # a CA bundle to trust instead of the system's (private relays, tests)
    critical_alerts: bool = False


def env_key(slug: str) -> str:
    """The part of a variable name that stands for the town."""
    return slug.upper().replace("-", "_")


def _settings_of(env: Mapping[str, str], prefix: str, fields: tuple[str, ...]) -> dict[str, dict]:
    """All configured sets of one kind: {"" (shared) or town key: {field: value}}."""
    found: dict[str, dict[str, str]] = {}
    for name, value in env.items():
        if not name.startswith(prefix) or not value:
            continue
        rest = name[len(prefix) :]
        for f in fields:
            if rest == f:
                found.setdefault("", {})[f] = value
                break
            if rest.endswith("_" + f):
                found.setdefault(rest[: -len(f) - 1], {})[f] = value
                break
    return found


def _pick(
    env: Mapping[str, str], prefix: str, fields: tuple[str, ...], slug: str
) -> tuple[str, dict[str, str]] | None:
    sets = _settings_of(env, prefix, fields)
    town = env_key(slug)
    if town in sets:
        return f"{prefix}{town}_", sets[town]
    if "" in sets:
        return prefix, sets[""]
    return None


def _secret(values: dict[str, str], inline: str, prefix: str) -> str:
    if values.get(inline):
        if values.get(inline + "_FILE"):
            raise CredentialsError(f"set {prefix}{inline} or {prefix}{inline}_FILE, not both")
        return values[inline]
    path = values.get(inline + "_FILE")
    if not path:
        raise CredentialsError(f"{prefix}{inline} (or {prefix}{inline}_FILE) is required")
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"{prefix}{inline}_FILE: cannot read {path!r}: {exc.strerror}"
        raise CredentialsError(msg) from None


def _required(values: dict[str, str], name: str, prefix: str) -> str:
    value = values.get(name, "").strip()
    if not value:
        raise CredentialsError(f"{prefix}{name} is required")
    return value


def fcm_for(env: Mapping[str, str], slug: str) -> FcmCredentials | None:
    """The FCM credentials a town sends with, or None if it has no Android app push."""
    picked = _pick(env, FCM_PREFIX, FCM_FIELDS, slug)
    if picked is None:
        return None
    prefix, values = picked
    defaults = FcmCredentials("", "")
    return FcmCredentials(
        project_id=_required(values, "PROJECT_ID", prefix),
        service_account=_secret(values, "CREDENTIALS", prefix),
        endpoint=values.get("ENDPOINT") or defaults.endpoint,
        token_url=values.get("TOKEN_URL") or defaults.token_url,
    )


def apns_for(env: Mapping[str, str], slug: str) -> ApnsCredentials | None:
    """The APNs credentials a town sends with, or None if it has no iOS app push."""
    picked = _pick(env, APNS_PREFIX, APNS_FIELDS, slug)
    if picked is None:
        return None
    prefix, values = picked
    endpoint = values.get("ENDPOINT") or "production"
    critical = (values.get("CRITICAL_ALERTS") or "0").lower()
    if critical not in ("0", "1", "true", "false"):
        raise CredentialsError(f"{prefix}CRITICAL_ALERTS must be 0 or 1")
    return ApnsCredentials(
        team_id=_required(values, "TEAM_ID", prefix),
        key_id=_required(values, "KEY_ID", prefix),
        private_key_pem=_secret(values, "KEY", prefix),
        topic=_required(values, "TOPIC", prefix),
        endpoint=APNS_ENDPOINTS.get(endpoint, endpoint),
        ca_file=values.get("CA_FILE", ""),
        critical_alerts=critical in ("1", "true"),
    )


def configured_towns(env: Mapping[str, str]) -> dict[str, set[str]]:
    """{"fcm": {town keys, "" for the shared set}, "apns": {…}}: what a start-up check reads."""
    return {
        "fcm": set(_settings_of(env, FCM_PREFIX, FCM_FIELDS)),
        "apns": set(_settings_of(env, APNS_PREFIX, APNS_FIELDS)),
    }
