"""The demo municipality of SPEC.md: "Musterstadt", placed at Lippstadt (NRW).

Lippstadt's DWD warn cell (WARNCELLID 805974028) appears in the real DWD warnings shipped in
tests/data/cap/dwd/, so CAP ingest can be demonstrated against it. District names are real
Lippstadt districts; their outlines are a simplified tiling of the town's extent (not survey
data), which is all the demo needs.
"""

from __future__ import annotations

from typing import Any

SLUG = "musterstadt"
NAME = "Musterstadt (Lippstadt)"
CENTER = (51.6737, 8.3444)  # lat, lon of the town hall area
WARNCELL_ID = "805974028"

# Outer extent and the inner Kernstadt box, lon/lat.
_W, _E, _S, _N = 8.26, 8.46, 51.61, 51.72
_IW, _IE, _IS, _IN = 8.325, 8.365, 51.662, 51.684


def _ring(*points: tuple[float, float]) -> dict[str, Any]:
    coords = [list(p) for p in points]
    return {"type": "Polygon", "coordinates": [[*coords, coords[0]]]}


DISTRICTS: list[dict[str, Any]] = [
    {
        "slug": "altstadt",
        "name": {"de": "Altstadt", "en": "Old Town"},
        "geometry": _ring((_IW, _IS), (_IE, _IS), (_IE, _IN), (_IW, _IN)),
    },
    {
        "slug": "bad-waldliesborn",
        "name": {"de": "Bad Waldliesborn", "en": "Bad Waldliesborn"},
        "geometry": _ring((_W, _N), (_IW, _IN), (_IE, _IN), (_E, _N)),
    },
    {
        "slug": "lipperode",
        "name": {"de": "Lipperode", "en": "Lipperode"},
        "geometry": _ring((_E, _N), (_IE, _IN), (_IE, _IS), (_E, _S)),
    },
    {
        "slug": "overhagen",
        "name": {"de": "Overhagen", "en": "Overhagen"},
        "geometry": _ring((_E, _S), (_IE, _IS), (_IW, _IS), (_W, _S)),
    },
    {
        "slug": "cappel",
        "name": {"de": "Cappel", "en": "Cappel"},
        "geometry": _ring((_W, _S), (_IW, _IS), (_IW, _IN), (_W, _N)),
    },
]

TOPICS: list[dict[str, Any]] = [
    {
        "slug": "strassensperrungen",
        "name": {"de": "Straßensperrungen", "en": "Road closures"},
        "description": {"de": "Sperrungen und Umleitungen", "en": "Closures and diversions"},
    },
    {
        "slug": "baustelle-lange-strasse",
        "name": {"de": "Baustelle Lange Straße", "en": "Lange Straße works"},
        "description": {
            "de": "Umbau der Langen Straße 2026–2027",
            "en": "Rebuilding Lange Straße 2026–2027",
        },
    },
    {
        "slug": "kita",
        "name": {"de": "Kita-Termine", "en": "Day-care news"},
        "description": {
            "de": "Schließtage, Elternabende, Anmeldung",
            "en": "Closing days, parents' evenings, registration",
        },
    },
    {
        "slug": "abfall",
        "name": {"de": "Abfallabfuhr", "en": "Waste collection"},
        "description": {"de": "Abfuhrtermine und Änderungen", "en": "Collection dates and changes"},
    },
    {
        "slug": "kultur",
        "name": {"de": "Kultur & Veranstaltungen", "en": "Culture & events"},
        "description": {"de": "Konzerte, Märkte, Feste", "en": "Concerts, markets, festivals"},
    },
    {
        "slug": "rat",
        "name": {"de": "Rat & Ausschüsse", "en": "Council"},
        "description": {"de": "Sitzungen und Beschlüsse", "en": "Meetings and decisions"},
    },
    {
        "slug": "buergerbuero",
        "name": {"de": "Bürgerbüro", "en": "Citizens' office"},
        "description": {"de": "Öffnungszeiten und Änderungen", "en": "Opening hours and changes"},
    },
]

STAFF: list[tuple[str, str]] = [
    ("admin@musterstadt.example", "admin"),
    ("presse@musterstadt.example", "publisher"),
    ("sachbearbeitung@musterstadt.example", "caseworker"),
    ("lesend@musterstadt.example", "viewer"),
]

DEPARTMENTS: list[dict[str, Any]] = [
    {"slug": "tiefbau", "name": {"de": "Tiefbauamt", "en": "Civil Engineering Office"},
     "email": "tiefbau@musterstadt.example", "head_email": "leitung.tiefbau@musterstadt.example"},
    {"slug": "stadtwerke", "name": {"de": "Stadtwerke", "en": "Municipal Utilities"},
     "email": "stoerung@stadtwerke-musterstadt.example", "head_email": "leitung@stadtwerke-musterstadt.example"},
    {"slug": "ordnungsamt", "name": {"de": "Ordnungsamt", "en": "Public Order Office"},
     "email": "ordnungsamt@musterstadt.example", "head_email": "leitung.ordnung@musterstadt.example"},
    {"slug": "buergerbuero", "name": {"de": "Bürgerbüro", "en": "Citizens' Office"},
     "email": "buergerbuero@musterstadt.example", "head_email": "amtsleitung@musterstadt.example"},
]  # fmt: skip

CATEGORIES: list[dict[str, Any]] = [
    {"slug": "schlagloch", "department": "tiefbau", "group": {"de": "Straßen und Wege", "en": "Roads and paths"},
     "name": {"de": "Schlagloch oder Straßenschaden", "en": "Pothole or road damage"},
     "questions": [{"code": "size", "datatype": "singlevaluelist", "required": True, "order": 1,
                    "description": "Wie groß ist der Schaden? / How large is the damage?",
                    "values": [{"key": "small", "name": "kleiner als ein Teller / smaller than a plate"},
                               {"key": "large", "name": "größer / larger"}]}]},
    {"slug": "strassenlaterne", "department": "stadtwerke", "group": {"de": "Straßen und Wege", "en": "Roads and paths"},
     "name": {"de": "Straßenlaterne defekt", "en": "Street light out"},
     "questions": [{"code": "mast", "datatype": "string", "required": False, "order": 1,
                    "description": "Mastnummer (falls lesbar) / Pole number (if readable)"}]},
    {"slug": "muell", "department": "ordnungsamt", "group": {"de": "Sauberkeit", "en": "Cleanliness"},
     "name": {"de": "Wilder Müll", "en": "Illegal dumping"}, "questions": []},
    {"slug": "spielplatz", "department": "tiefbau", "group": {"de": "Grün und Spiel", "en": "Parks and play"},
     "name": {"de": "Spielplatz beschädigt", "en": "Damaged playground"}, "questions": [],
     "first_response_hours": 8, "first_response_clock": "working"},
    {"slug": "feedback-lange-strasse", "department": "buergerbuero", "group": {"de": "Projekte", "en": "Projects"},
     "name": {"de": "Rückmeldung zum Umbau Lange Straße", "en": "Feedback on the Lange Straße works"},
     "questions": [], "duplicate_radius_m": 0},
    # Questions for staff (from the assistant or asked directly): the same 24-hour promise as
    # reports, handled by the Bürgerbüro, never public.
    {"slug": "frage", "department": "buergerbuero", "kind": "inquiry",
     "group": {"de": "Fragen", "en": "Questions"},
     "name": {"de": "Frage an die Stadt", "en": "Question to the town"}, "questions": [],
     "first_response_hours": 24, "first_response_clock": "calendar",
     "resolve_hours": 5 * 8, "resolve_clock": "working"},
]  # fmt: skip

# Frequent public answers (reply templates); placeholders are filled from the case.
REPLY_TEMPLATES: list[dict[str, Any]] = [
    {"slug": "eingegangen", "status": "in_progress",
     "title": {"de": "Eingang bestätigen", "en": "Acknowledge"},
     "text": {"de": "Vielen Dank für Ihre Meldung {number} ({category}). Wir haben sie an die zuständige Stelle gegeben und melden uns, sobald es Neues gibt.",
              "en": "Thank you for your report {number} ({category}). We have passed it to the team in charge and will let you know as soon as there is news."}},
    {"slug": "eingeplant", "status": "scheduled",
     "title": {"de": "Reparatur eingeplant", "en": "Repair scheduled"},
     "text": {"de": "Die Reparatur an der Stelle {address} ist eingeplant und soll bis zum {due} erledigt sein.",
              "en": "The repair at {address} is scheduled and should be done by {due}."}},
    {"slug": "erledigt", "status": "resolved",
     "title": {"de": "Erledigt", "en": "Fixed"},
     "text": {"de": "Der gemeldete Schaden ist behoben. Vielen Dank, dass Sie {town} mitgestalten!",
              "en": "The problem you reported has been fixed. Thank you for helping {town}!"}},
    {"slug": "landesstrasse", "status": "forwarded", "category": "schlagloch",
     "title": {"de": "Weitergeleitet an Straßen.NRW", "en": "Forwarded to Straßen.NRW"},
     "text": {"de": "Diese Straße gehört nicht der Stadt, sondern dem Land. Wir haben Ihre Meldung {number} an den Landesbetrieb Straßen.NRW weitergeleitet, der sich um die Reparatur kümmert.",
              "en": "This road belongs to the Land, not the town. We have forwarded your report {number} to Straßen.NRW, who will take care of the repair."}},
    {"slug": "privatgrund", "status": "rejected",
     "title": {"de": "Privatgrund", "en": "Private land"},
     "text": {"de": "Die gemeldete Stelle liegt auf privatem Grund. Dort dürfen wir leider nicht tätig werden; bitte wenden Sie sich an die Eigentümerin oder den Eigentümer.",
              "en": "The place you reported is on private land, where we may not act. Please contact the owner."}},
]  # fmt: skip

# Frequent messages of the demo town; [placeholders] are filled in before sending.
MESSAGE_TEMPLATES: list[dict[str, Any]] = [
    {"slug": "vollsperrung", "severity": "info", "topics": ["strassensperrungen"],
     "name": {"de": "Straßensperrung", "en": "Road closure"},
     "title": {"de": "Vollsperrung [Straße]", "en": "[Straße] closed"},
     "body": {"de": "Die [Straße] ist von [Beginn] bis [Ende] voll gesperrt. Grund: [Grund]. Eine Umleitung ist ausgeschildert.",
              "en": "[Straße] is closed from [Beginn] to [Ende] because of [Grund]. A diversion is signposted."}},
    {"slug": "wasser", "severity": "moderate", "topics": [],
     "name": {"de": "Wasser abgestellt", "en": "Water cut off"},
     "title": {"de": "Kein Wasser in [Gebiet]", "en": "No water in [Gebiet]"},
     "body": {"de": "Wegen eines Rohrbruchs ist das Wasser in [Gebiet] bis voraussichtlich [Ende] abgestellt. Ein Wasserwagen steht an [Ort].",
              "en": "Because of a burst pipe the water in [Gebiet] is cut off until about [Ende]. A water tanker stands at [Ort]."}},
    {"slug": "amt-geschlossen", "severity": "info", "topics": ["buergerbuero"],
     "name": {"de": "Amt geschlossen", "en": "Office closed"},
     "title": {"de": "[Amt] am [Tag] geschlossen", "en": "[Amt] closed on [Tag]"},
     "body": {"de": "Das [Amt] ist am [Tag] geschlossen. Dringende Anliegen: [Telefon].",
              "en": "The [Amt] is closed on [Tag]. Urgent matters: [Telefon]."}},
]  # fmt: skip
