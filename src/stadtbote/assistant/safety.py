"""What the assistant must not answer from its pages (pure): danger to life first (the
emergency numbers at once, before any search), then questions outside what it may do: a
citizen's own case, legal advice, politics. The patterns are deliberately narrow: a false
"emergency" for "Osterfeuer anmelden" would be as wrong as a missed one."""

from __future__ import annotations

import re
from enum import StrEnum


class Refusal(StrEnum):
    EMERGENCY = "emergency"
    CRISIS = "crisis"  # thoughts of suicide: the crisis line, and 112
    PERSONAL = "personal"  # a citizen's own case: only staff can look into it
    LEGAL = "legal"
    POLITICAL = "political"


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


CRISIS = _any(
    r"\b(?:suizid|selbstmord|umbringen|nicht mehr leben|das leben nehmen)",
    r"\b(?:suicid|kill myself|end my life|don'?t want to live)",
)
EMERGENCY = _any(
    # fire, smoke, gas
    r"\bes brennt\b",
    r"\bbrennt\b.*\b(?:haus|wohnung|keller|küche|dach|auto|nachbar)",
    r"\bfeuer\s+(?:im|in|bei|auf)\b",
    r"\brauch\s+(?:im|in|aus)\b",
    r"\bgas\s*geruch",
    r"\briecht\b.*\bnach gas\b",
    r"\bon fire\b",
    r"\bfire in\b",
    r"\bsmell(?:s)? (?:of )?gas\b",
    r"\bgas leak",
    # medical
    r"\bbewusstlos",
    r"\batmet nicht\b",
    r"\bkeine luft\b",
    r"\bkann nicht (?:mehr )?atmen",
    r"\bherzinfarkt",
    r"\bschlaganfall",
    r"\bbrustschmerz",
    r"\bblutet\b",
    r"\bblutung\b",
    r"\bgestürzt\b.*\b(?:verletzt|blut|aufstehen|bewegt sich nicht)",
    r"\bunfall\b.*\bverletzt",
    r"\bbrauch\w*\s+(?:einen\s+|sofort\s+)?(?:notarzt|krankenwagen|rettungswagen)",
    r"\bschwer verletzt",
    r"\bvergiftet\b",
    r"\b(?:putzmittel|reiniger|gift|tabletten)\w*\s+"
    r"(?:getrunken|geschluckt|verschluckt)",
    r"\b(?:getrunken|geschluckt)\b.*\b(?:putzmittel|"
    r"reiniger|gift)",
    r"\bunconscious\b",
    r"\bnot breathing\b",
    r"\bcan'?t breathe\b",
    r"\bchest pain",
    r"\bheart attack",
    r"\bstroke\b",
    r"\bbleeding heavily",
    r"\bis bleeding\b",
    r"\bfell\b.*\b(?:can'?t get up|injured|is hurt)",
    r"\bneed an ambulance\b",
    r"\bswallowed\b.*\b(?:poison|bleach|pills|cleaner)",
    r"\bpoisoned\b",
    # crime in progress, violence
    r"\bbricht\b.*\bein\b",
    r"\beinbrecher\b",
    r"\beinbruch\b.*\b(?:gerade|jetzt)\b",
    r"\b(?:werde|wird|werden)\s+(?:gerade\s+)?(?:bedroht|angegriffen|geschlagen)",
    r"\bbreaking in\b",
    r"\bburglar",
    r"\bbeing attacked\b",
    r"\bsomeone is attacking\b",
    r"\bhilfe\b.*\b(?:sofort|schnell)\b",
)
PERSONAL = _any(
    r"\baktenzeichen\b",
    r"\bcase number\b",
    r"\breference number\b",
    r"\b(?:stand|status)\s+(?:meine[rs]?|unsere[rs]?)\b",
    r"\bmein(?:e|en|em)?\s+(?:antrag|bauantrag|bescheid|akte|verfahren|wohngeldantrag)\w*\b.*"
    r"\b(?:wann|stand|genehmigt|bearbeitet|abgelehnt|warum)",
    r"\b(?:wann|warum)\b.*\bmein(?:e|en|em)?\s+(?:antrag|bauantrag|bescheid)",
    r"\bzweimal abgebucht",
    r"\bkönnen sie (?:das|meinen?|meine)\b.*\bprüfen",
    r"\bmy (?:application|case|file)\b.*\b(?:status|when|why|approved|rejected)",
)
LEGAL = _any(
    r"\bverklagen\b",
    r"\bist das (?:rechtens|legal|erlaubt)\b",
    r"\brechtens\b",
    r"\brechtsberatung",
    r"\banwalt\b",
    r"\bmuss ich .*steuer.* zahlen\b",
    r"\bsue\b",
    r"\blawyer\b",
    r"\blegal advice",
    r"\bis (?:it|this|that) legal\b",
)
POLITICAL = _any(
    r"\bwelche partei\b",
    r"\bwen soll ich\b.*\bwählen",
    r"\bwas hält der bürgermeister",
    r"\bwarum hat der (?:stadt|gemeinde)rat\b",
    r"\bwho should i vote",
    r"\bwhich party\b",
    r"\bwhat does the mayor think",
)


def refusal(question: str) -> Refusal | None:
    """The reason the question is not one to answer from the town's pages, if any."""
    text = " ".join(question.split())
    for kind, pattern in (
        (Refusal.CRISIS, CRISIS),
        (Refusal.EMERGENCY, EMERGENCY),
        (Refusal.PERSONAL, PERSONAL),
        (Refusal.LEGAL, LEGAL),
        (Refusal.POLITICAL, POLITICAL),
    ):
        if pattern.search(text):
            return kind
    return None
