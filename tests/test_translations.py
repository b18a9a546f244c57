"""German and English: every string of the package is translated to German."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import stadtbote

LOCALE = Path(stadtbote.__file__).parent / "locale"


def test_the_compiled_german_catalog_matches_the_po_file_and_is_complete():
    po = (LOCALE / "de/LC_MESSAGES/django.po").read_text()
    msgids = len(re.findall(r'^msgid "', po, flags=re.MULTILINE)) - 1  # minus the header entry
    with open(LOCALE / "de/LC_MESSAGES/django.mo", "rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    entries = {k: v for k, v in catalog.items() if k}
    # Plural entries are stored once per form, as (msgid, n) keys.
    distinct = {k[0] if isinstance(k, tuple) else k for k in entries}
    assert len(distinct) == msgids, "run `stadtbote compilemessages` after editing the .po file"
    assert all(entries.values())
    assert "#, fuzzy" not in po.split("\n\n", 1)[1]
