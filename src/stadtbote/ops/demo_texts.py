"""Demo texts for the pages every German municipal site must have. Each town replaces them in
the admin ("Public pages"); they follow the structure the rules ask for (BITV 2.0 § 7,
DSGVO Art. 13, DDG § 5) but are examples, not legal advice."""

from __future__ import annotations

from typing import Any

ACCESSIBILITY_DE = """\
Die Stadt Musterstadt ist bemüht, ihre App und Website im Einklang mit den Vorschriften des
Behindertengleichstellungsgesetzes (BGG) und der Barrierefreie-Informationstechnik-Verordnung
(BITV 2.0) barrierefrei zugänglich zu machen.

## Stand der Vereinbarkeit mit den Anforderungen

Diese App ist mit den Anforderungen der BITV 2.0 (WCAG 2.1, Stufe AA) **weitgehend vereinbar**.
Jede Seite wird bei jeder Änderung automatisch mit axe-core geprüft und mit der Tastatur allein
durchlaufen.

## Nicht barrierefreie Inhalte

- **Karten** lassen sich mit Bildschirmlesern nur eingeschränkt nutzen. Jede Karte hat deshalb
  eine Beschreibung in Textform; Orte können statt auf der Karte als Ortsteil oder mit
  Koordinaten gewählt werden.
- Mitteilungen, die Mitarbeitende schreiben, können Abkürzungen ohne Erläuterung enthalten.

## Erstellung dieser Erklärung

Diese Erklärung wurde am 26. November 2026 erstellt. Grundlage ist eine Selbstbewertung.

## Feedback und Kontakt

Sind Ihnen Mängel beim barrierefreien Zugang aufgefallen? Nutzen Sie das Formular unten oder
schreiben Sie an [buergerbuero@musterstadt.example](mailto:buergerbuero@musterstadt.example).
Wir antworten innerhalb von zwei Wochen.

## Schlichtungsverfahren

Wenn Sie auf Ihre Rückmeldung keine zufriedenstellende Antwort erhalten, können Sie sich an die
zuständige Ombuds- bzw. Schlichtungsstelle Ihres Landes wenden. Das Verfahren ist kostenfrei;
Sie brauchen keinen Rechtsbeistand.
"""

ACCESSIBILITY_EN = """\
The town of Musterstadt wants its app and website to be accessible according to the German
Disability Equality Act (BGG) and the Accessible Information Technology Ordinance (BITV 2.0).

## Compliance status

This app is **largely compliant** with BITV 2.0 (WCAG 2.1, level AA). Every page is checked
automatically with axe-core on every change and is walked through using the keyboard alone.

## Content that is not accessible

- **Maps** can be used only in part with screen readers. Every map therefore has a text
  description, and places can be chosen as a district or by coordinates instead of on the map.
- Messages written by staff may contain abbreviations without explanation.

## Preparation of this statement

This statement was prepared on 26 November 2026, based on a self-assessment.

## Feedback and contact

Have you found a barrier? Use the form below or write to
[buergerbuero@musterstadt.example](mailto:buergerbuero@musterstadt.example). We answer within
two weeks.

## Enforcement procedure

If you do not receive a satisfactory answer, you can turn to the arbitration body of your
federal state. The procedure is free of charge; you do not need a lawyer.
"""

PRIVACY_DE = """\
## Wer ist verantwortlich?

Stadt Musterstadt, Bürgerbüro, Rathausplatz 1, 59555 Musterstadt,
[buergerbuero@musterstadt.example](mailto:buergerbuero@musterstadt.example).

## Was wir speichern – und was nicht

Sie brauchen kein Konto und keinen Namen. Wenn Sie sich anmelden, speichern wir nur, was Sie
selbst wählen: Orte (Ortsteile oder einen Punkt mit Umkreis), Themen, Warnstufe, Ruhezeiten,
Sprache und Ihre Empfangswege (die Push-Adresse Ihres Geräts, auf Wunsch eine E-Mail-Adresse).
Dazu kommt ein Protokoll, welche Mitteilungen wir Ihnen wann zugestellt haben.

## Wozu und auf welcher Grundlage

Um Ihnen Mitteilungen für Ihre Orte und Themen zu schicken (Art. 6 Abs. 1 lit. a DSGVO,
Einwilligung). E-Mail-Adressen nutzen wir erst, nachdem Sie den Bestätigungslink angeklickt
haben (Double-Opt-in); unbestätigte Adressen löschen wir nach 7 Tagen.

## Ihre Rechte

Unter „Einstellungen“ können Sie jederzeit alles ändern, pausieren, **Ihre Daten herunterladen**
(Art. 15 und 20 DSGVO) und **alles löschen** (Art. 17 DSGVO). Sie können sich bei der
Landesbeauftragten für Datenschutz beschweren.

## Cookies und Speicher auf Ihrem Gerät

Ein technisch notwendiges Cookie verbindet dieses Gerät mit Ihrer Anmeldung; ein zweites schützt
Formulare (CSRF) und eines merkt sich die Sprache. Damit Mitteilungen offline lesbar sind, legt
die App sie im Speicher Ihres Browsers ab. Es gibt kein Tracking und keine Inhalte Dritter.
"""

PRIVACY_EN = """\
## Who is responsible?

Town of Musterstadt, Citizens' Office, Rathausplatz 1, 59555 Musterstadt,
[buergerbuero@musterstadt.example](mailto:buergerbuero@musterstadt.example).

## What we store – and what we do not

You need no account and no name. When you subscribe we store only what you choose: places
(districts, or a point with a radius), topics, warning level, quiet hours, language and your
channels (your device's push address, an e-mail address if you wish), plus a record of which
messages we delivered to you and when.

## Why, and on which legal basis

To send you messages for your places and topics (Art. 6(1)(a) GDPR, consent). We use an e-mail
address only after you click the confirmation link (double opt-in); unconfirmed addresses are
deleted after 7 days.

## Your rights

In "Settings" you can change everything at any time, pause, **download your data**
(Art. 15 and 20 GDPR) and **delete everything** (Art. 17 GDPR). You may complain to the data
protection authority of the federal state.

## Cookies and storage on your device

One technically necessary cookie links this device to your subscription; a second protects forms
(CSRF) and one remembers your language. To keep messages readable offline, the app stores them
in your browser. There is no tracking and no third-party content.
"""

IMPRINT_DE = """\
**Stadt Musterstadt**
Rathausplatz 1, 59555 Musterstadt
Telefon: 02941 000-0 · E-Mail: [buergerbuero@musterstadt.example](mailto:buergerbuero@musterstadt.example)

Die Stadt ist eine Körperschaft des öffentlichen Rechts. Sie wird vertreten durch den
Bürgermeister.

Verantwortlich für den Inhalt (§ 18 Abs. 2 MStV): Presse- und Öffentlichkeitsarbeit, Anschrift wie oben.

*Dies ist eine Demo-Installation von Stadtbote; alle Angaben sind Beispiele.*
"""

IMPRINT_EN = """\
**Town of Musterstadt**
Rathausplatz 1, 59555 Musterstadt, Germany
Phone: +49 2941 000-0 · E-mail: [buergerbuero@musterstadt.example](mailto:buergerbuero@musterstadt.example)

The town is a public-law corporation, represented by the mayor.

Responsible for the content (§ 18(2) MStV): press office, address as above.

*This is a demo installation of Stadtbote; all details are examples.*
"""

TEXTS = [
    ("accessibility", "de", "Erklärung zur Barrierefreiheit", ACCESSIBILITY_DE),
    ("accessibility", "en", "Accessibility statement", ACCESSIBILITY_EN),
    ("privacy", "de", "Datenschutzerklärung", PRIVACY_DE),
    ("privacy", "en", "Privacy notice", PRIVACY_EN),
    ("imprint", "de", "Impressum", IMPRINT_DE),
    ("imprint", "en", "Imprint", IMPRINT_EN),
]

# Current messages so a new installation does not open on an empty page.
MESSAGES: list[dict[str, Any]] = [
    {
        "title": {
            "de": "Vollsperrung Lange Straße bis Freitag",
            "en": "Lange Straße closed until Friday",
        },
        "body": {
            "de": "Wegen Kanalarbeiten ist die Lange Straße zwischen Marktplatz und Cappeltor "
            "voll gesperrt. Die Umleitung ist ausgeschildert. Fußgänger kommen durch.",
            "en": "Because of sewer works, Lange Straße is closed between Marktplatz and "
            "Cappeltor. A diversion is signposted. Pedestrians can pass.",
        },
        "severity": "minor",
        "topics": ["strassensperrungen"],
        "area": {"areas": ["altstadt"]},
        "days": 4,
    },
    {
        "title": {"de": "Sturmböen am Abend erwartet", "en": "Gale-force gusts expected tonight"},
        "body": {
            "de": "Der Deutsche Wetterdienst warnt vor Sturmböen bis 85 km/h. Sichern Sie lose "
            "Gegenstände und meiden Sie Parks und Alleen.",
            "en": "The German Weather Service warns of gusts up to 85 km/h. Secure loose "
            "objects and avoid parks and tree-lined roads.",
        },
        "severity": "moderate",
        "topics": [],
        "area": None,
        "days": 1,
    },
    {
        "title": {
            "de": "Laternenfest der Kita Sonnenschein",
            "en": "Lantern festival at Kita Sonnenschein",
        },
        "body": {
            "de": "Am Freitag um 17 Uhr ziehen die Kinder mit ihren Laternen durch Cappel. "
            "Eltern und Nachbarn sind herzlich eingeladen.",
            "en": "On Friday at 5 pm the children walk through Cappel with their lanterns. "
            "Parents and neighbours are welcome.",
        },
        "severity": "info",
        "topics": ["kita"],
        "area": {"areas": ["cappel"]},
        "days": 6,
    },
]
