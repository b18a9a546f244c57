"""Map tile URL templates: the citizen's browser loads them, so only https and a plain host."""

from __future__ import annotations

from urllib.parse import urlsplit


def valid_template(url: str) -> bool:
    parts = urlsplit(url)
    host = parts.netloc
    return (
        parts.scheme == "https"
        and bool(parts.hostname)
        and "@" not in host
        # "{s}" stands for a subdomain letter; the rest must still name a real domain.
        and ("{s}" not in host or (host.startswith("{s}.") and "." in host[4:]))
        and all(f"{{{k}}}" in url for k in ("z", "x", "y"))
        and not any(c in url for c in "\"'<> \\")
    )


def origin(url: str) -> str | None:
    """The origin to allow in the Content-Security-Policy, or None for an invalid template."""
    if not valid_template(url):
        return None
    parts = urlsplit(url.replace("{s}", "a"))
    # Leaflet's {s} subdomains: allow the wildcard form of the host.
    host = parts.netloc
    if "{s}" in url.split("/")[2]:
        host = "*." + host.split(".", 1)[1]
    return f"https://{host}"
