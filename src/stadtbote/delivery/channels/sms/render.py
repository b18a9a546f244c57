"""The SMS text of a notice, fitted to a budget of segments.

Shape: ``"<tenant> - <LABEL>: <title>. <body> <url>"``. The short link is never cut: it is how
the citizen reads the rest. The body gives way first (at a word boundary, with "..."), then the
title. Typographic characters (curly quotes, dashes, the ellipsis character, no-break spaces)
are replaced by their GSM equivalents first: one "–" would turn a German text with äöüß, which
GSM-7 carries, into UCS-2 and cut its room per SMS from 160 to 70 characters.
"""

from __future__ import annotations

from typing import Any

from .encoding import MAX_SEGMENTS, count_units, plan, split

ELLIPSIS = "..."
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u00ab": '"',  # «
        "\u00bb": '"',  # »
        "\u2039": "'",
        "\u203a": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",  # –
        "\u2014": "-",  # —
        "\u2212": "-",
        "\u2026": ELLIPSIS,  # …
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u200b": "",
        "\u00ad": "",
        "\u2022": "-",  # •
        "\t": " ",
    }
)

# Short and loud on purpose: the label is read on a lock screen.
SEVERITY_LABELS = {
    "extreme": ("GEFAHR", "DANGER"),
    "severe": ("WARNUNG", "WARNING"),
    "moderate": ("Warnung", "Warning"),
    "minor": ("Hinweis", "Advisory"),
    "info": ("Info", "Info"),
}
WITHDRAWN = ("WIDERRUFEN", "WITHDRAWN")
UPDATED = ("aktualisiert", "updated")


def gsm_friendly(text: str) -> str:
    """Typography replaced by GSM equivalents, whitespace runs collapsed."""
    return " ".join(text.translate(_TYPOGRAPHY).split())


def _label(severity: str, kind: str, language: str) -> str:
    german = language.lower().startswith("de")
    pick = 0 if german else 1
    if kind == "withdrawal":
        return WITHDRAWN[pick]
    label = SEVERITY_LABELS.get(severity, ("", ""))[pick]
    if kind == "update":
        return f"{label} ({UPDATED[pick]})" if label else UPDATED[pick].capitalize()
    return label


def _sentence(title: str) -> str:
    return title if not title or title[-1] in ".!?:" else f"{title}."


def _fits(text: str, max_segments: int) -> bool:
    return plan(text).segments <= max_segments


def _shorten(text: str, keep: int) -> str:
    """The first ``keep`` characters, cut back to a word boundary, with an ellipsis."""
    if keep >= len(text):
        return text
    cut = text[:keep]
    if " " in cut and not text[keep].isspace():
        cut = cut.rsplit(" ", 1)[0]
    cut = cut.rstrip(" ,;:-.")
    return f"{cut}{ELLIPSIS}" if cut else ""


def _fit(compose: Any, text: str, max_segments: int) -> str | None:
    """The longest shortening of ``text`` with which ``compose(part)`` fits (binary search)."""
    if _fits(compose(text), max_segments):
        return text
    low, high = 0, len(text)  # compose(_shorten(text, low)) fits, high does not
    if not _fits(compose(_shorten(text, 0)), max_segments):
        return None
    while high - low > 1:
        middle = (low + high) // 2
        if _fits(compose(_shorten(text, middle)), max_segments):
            low = middle
        else:
            high = middle
    return _shorten(text, low)


def render_sms(
    *,
    tenant_name: str,
    title: str,
    body: str,
    url: str,
    severity: str,
    kind: str,
    language: str,
    max_segments: int = 3,
) -> str:
    """The text to send; ``plan(result).segments <= max_segments`` always holds.

    ``url`` should be a short link (the caller makes it); it is kept whole. Raises ValueError
    when even the url and the label alone do not fit.
    """
    if not 1 <= max_segments <= MAX_SEGMENTS:
        raise ValueError(f"max_segments must be 1..{MAX_SEGMENTS}")
    url = url.strip()
    if any(char.isspace() for char in url):
        raise ValueError("the url must not contain whitespace")
    label = _label(severity, kind, language)
    head = gsm_friendly(f"{tenant_name} - {label}:" if label else f"{tenant_name}:")
    title = gsm_friendly(title)
    body = gsm_friendly(body)
    tail = f" {url}" if url else ""

    def with_body(part: str) -> str:
        text = " ".join(p for p in (head, _sentence(title), part) if p)
        return f"{text}{tail}"

    fitted_body = _fit(with_body, body, max_segments)
    if fitted_body is not None:
        return with_body(fitted_body)

    # Not even the whole title fits: the title gives way too, the body goes.
    def with_title(part: str) -> str:
        return f"{' '.join(p for p in (head, part) if p)}{tail}"

    fitted_title = _fit(with_title, title, max_segments)
    if fitted_title is None:
        raise ValueError(f"the label and url alone need more than {max_segments} SMS")
    return with_title(fitted_title)


def segment_preview(text: str) -> dict[str, Any]:
    """What the staff console shows under the text field while an editor types."""
    sms = plan(text)
    used = count_units(split(text, sms)[-1], sms.encoding)
    return {
        "encoding": sms.encoding,
        "units": sms.units,
        "segments": sms.segments,
        "per_segment_limit": sms.per_segment_limit,
        # In units: a "€" takes two in GSM-7, an emoji two in UCS-2.
        "remaining_in_last_segment": sms.per_segment_limit - used,
    }
