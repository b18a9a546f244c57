"""SMS providers per town, only ever from the environment (they hold passwords).

``STADTBOTE_SMS_PROVIDERS`` is the county's shared set, ``STADTBOTE_SMS_MUSTERSTADT_PROVIDERS``
the set of the town with slug ``musterstadt`` (as for native push, ``push_credentials.py``).
A set is a comma-separated list of provider URLs, each with an optional weight and name::

    smpp://SYSTEM_ID:PASSWORD@smsc.example.net:2775?source=Musterstadt&weight=70&name=smsc&rate=50
    smpps://…                          (SMPP over TLS)
    kannel+https://USER:PASSWORD@gw.example.net/cgi-bin/sendsms?from=Musterstadt&weight=30

``rate`` is the SMS per second the contract allows, kept across all workers. User and password
are percent-encoded. Plain ``kannel+http`` is accepted only for a loopback
address (a gateway on the same machine, or the test server). Parsing is pure and never puts a
password into an error message.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from stadtbote.delivery.push_credentials import env_key

PREFIX = "STADTBOTE_SMS_"
SCHEMES = ("smpp", "smpps", "kannel+https", "kannel+http")
_OPTIONS = {"weight", "name", "source", "from", "system_type", "rate"}


class SmsConfigError(ValueError):
    """A provider URL is malformed; the message names the variable, never the password."""


@dataclass(frozen=True)
class ProviderSpec:
    kind: str  # "smpp" or "http"
    name: str
    weight: float
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    sender: str
    tls: bool = False
    url: str = ""  # the HTTP gateway's endpoint, without user information
    system_type: str = ""
    # SMS per second the provider sells, shared by all workers (``throttle.py``); None: no cap.
    rate: float | None = None


def variable_for(env: Mapping[str, str], slug: str) -> str | None:
    """The variable that configures the town's SMS, or None: it sends no SMS."""
    own = f"{PREFIX}{env_key(slug)}_PROVIDERS"
    if env.get(own, "").strip():
        return own
    if env.get(PREFIX + "PROVIDERS", "").strip():
        return PREFIX + "PROVIDERS"
    return None


def providers_for(env: Mapping[str, str], slug: str) -> list[ProviderSpec] | None:
    name = variable_for(env, slug)
    if name is None:
        return None
    specs = [
        parse_provider(part.strip(), name, i)
        for i, part in enumerate(env[name].split(","))
        if part.strip()
    ]
    if len({s.name for s in specs}) != len(specs):
        raise SmsConfigError(f"{name}: give each provider its own name=")
    return specs


def parse_provider(url: str, variable: str, index: int) -> ProviderSpec:
    where = f"{variable}, provider {index + 1}"
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise SmsConfigError(f"{where}: the scheme must be one of {', '.join(SCHEMES)}")
    try:
        port = parts.port
    except ValueError:
        raise SmsConfigError(f"{where}: invalid port") from None
    host = parts.hostname or ""
    if not host:
        raise SmsConfigError(f"{where}: no host")
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(options) - _OPTIONS
    if unknown:
        raise SmsConfigError(f"{where}: unknown option {sorted(unknown)[0]!r}")
    try:
        weight = float(options.get("weight", "1"))
    except ValueError:
        weight = -1.0
    if not 0 < weight <= 1000:
        raise SmsConfigError(f"{where}: weight must be a number above 0")
    rate: float | None = None
    if "rate" in options:
        try:
            rate = float(options["rate"])
        except ValueError:
            rate = -1.0
        if not 0 < rate <= 10_000:
            raise SmsConfigError(f"{where}: rate must be SMS per second above 0")
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if not user:
        raise SmsConfigError(f"{where}: the user (SMPP system_id) is missing")
    sender = options.get("source") or options.get("from") or ""
    if not sender:
        raise SmsConfigError(f"{where}: give the sender as source= (or from=)")
    name = options.get("name") or f"{parts.scheme.split('+')[0]}-{index + 1}"
    if parts.scheme in ("smpp", "smpps"):
        return ProviderSpec(
            kind="smpp",
            name=name,
            weight=weight,
            host=host,
            port=port or 2775,
            user=user,
            password=password,
            sender=sender,
            tls=parts.scheme == "smpps",
            system_type=options.get("system_type", ""),
            rate=rate,
        )
    scheme = parts.scheme.split("+", 1)[1]
    if scheme == "http" and not _loopback(host):
        raise SmsConfigError(f"{where}: plain http only to a loopback address; use kannel+https")
    netloc = host if port is None else f"{host}:{port}"
    if ":" in host:
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    return ProviderSpec(
        kind="http",
        name=name,
        weight=weight,
        host=host,
        port=port or (443 if scheme == "https" else 80),
        user=user,
        password=password,
        sender=sender,
        url=f"{scheme}://{netloc}{parts.path or '/cgi-bin/sendsms'}",
        rate=rate,
    )


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
