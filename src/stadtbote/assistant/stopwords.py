"""The words the assistant's retrieval leaves out: stop words per language, and the phrases
that only say how a question asks. Data; ``text.py`` applies them."""

from __future__ import annotations

# Words that carry no topic in a citizen's question or a page: function words, question
# words, modal verbs and negations (negations don't change which page answers), "heute" and
# "morgen" (a page never answers by the date of the question), the fillers of spoken questions
# ("trotzdem", "eigentlich"), asking for permission ("erlaubt", "möglich"), and the verbs and
# adjectives any question may use ("bekommen", "kommt", "passiert", "lassen", "neue", "alte").
# Both questions and pages lose these words, so a page never matches on them.
_GERMAN = """
ab aber alle allem allen aller alles als also am an andere anderem anderen anderer anderes
anders auch auf aus bei beim bin bis bist bitte brauch brauche brauchen brauchst braucht bzw
ca da damit dann das dass dazu dein deine deinem deinen deiner dem den denn der derselbe des
dessen dich die dies diese diesem diesen dieser dieses dir doch dort du durch eben eh ein eine
einem einen einer eines einfach einige einigen einmal er es etwas euch euer eure für gegen
gewesen gibt gibts gern gerne hab habe haben hast hat hatte hatten hätte hallo heute hier hin
ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im in indem ins ist ja jede jedem jeden
jeder jedes jene jetzt kann kannst kein keine keinem keinen keiner können könnt könnte machen
mache macht mal man manche mein meine meinem meinen meiner meines mich mir mit morgen möchte
muss musst müssen müsste nach nicht nichts noch nun nur ob oder ohne sehr sein seine seinem
seinen seiner seines sich sie sind so solche soll sollen sollte sondern sonst tun tut über um
und uns unser unsere unter vom von vor war waren wäre wären was weil wenn werde werden wie
wieder will willst wir wird wirst wo wollen wollte wurde würde würden zu zum zur zwar zwischen
danke gestern wann warum weshalb wieso wozu wer wen wem wessen welche welchem welchen welcher
welches woher wohin womit wofür worauf wieviel wieviele darf darfst dürfen geht gehts gehen
heisst heissen gut gute guten gutes weiter weitere weiteren weiterer weiteres viel viele vielen
trotzdem eigentlich überhaupt genau schon wirklich halt ok okay moin hey vielleicht irgendwie
irgendwo irgendwann irgendwas ungefähr nochmal usw
bekomme bekommen bekommst bekommt kriege kriegen kriegst kriegt komme kommen kommst kommt
passiert passieren lassen lässt erlaubt möglich direkt vorher neu neue neuen neuer neues alt alte
alten altes
"""
_ENGLISH = """
a about above after again all also am an and any are as at be because been before being below
between both but by can could did do does doing don down during each few for from further get
gets got had has have having he hello her here hers herself hi him himself his how i if im in
into is it its itself just many me more most much my myself need needs no nor not now of off
on once only or other our ours ourselves out over own please same she should so some such than
thank thanks that the their theirs them themselves then there these they this those through to
today tomorrow too under until up us very want wants was we were what when where which while
who whom whose why will with would yesterday you your yours yourself
happen happens new old
"""


# How a question asks, not what about: "Wie spät ist es?" asks nothing the pages answer, and
# "wie lange" asks for a duration, whatever it is of. Dropped from questions unless a synonym
# says what they mean on a page ("wie lange" -> "Bearbeitungszeit", see DEFAULT_SYNONYMS).
QUESTION_PHRASE_TEXT = {
    "de": "wie lange|wie spät|wie früh|wie schnell|wie oft|wie bald|wie hoch|wie groß|wie alt"
    "|wie weit",
    "en": "how long|how late|how early|how soon|how often|how fast|how quickly|how high"
    "|how big|how old|how far|what time",
}


def _with_spellings(words: str) -> frozenset[str]:
    base = set(words.split())
    return frozenset(
        base | {w.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue") for w in base}
    )


STOPWORDS: dict[str, frozenset[str]] = {
    "de": _with_spellings(_GERMAN),
    "en": _with_spellings(_ENGLISH),
}
