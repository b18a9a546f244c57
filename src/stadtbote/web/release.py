"""The release identifier: names the service worker's caches and part of every page ETag, so a
new release replaces what browsers and proxies keep."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

_WEB = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def release() -> str:
    try:
        base = version("stadtbote")
    except PackageNotFoundError:  # running from a source tree without install
        base = "dev"
    h = hashlib.sha256()
    for folder in (_WEB / "static", _WEB / "templates"):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                h.update(path.relative_to(_WEB).as_posix().encode())
                h.update(path.read_bytes())
    return f"{base}-{h.hexdigest()[:10]}"
