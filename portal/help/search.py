"""A forgiving search over the help pages, as a practice types it: "Code nicht erhalten", "keine
Mail bekommen", "neues Handy". Words are reduced to their stem (Snowball, so "Geräte" finds "Gerät"),
filler words are dropped, and the words a practice uses for the same thing count as one
("erhalten", "bekommen", "angekommen" and the help's "kommt … an"). Every section that holds any
of the words is a candidate; the one that holds the most of them, in its title above all, wins,
and each page is listed once, at its best section."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from markupsafe import Markup, escape

from .content import HelpPage, pages

_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s*\{#([a-z0-9-]+)\})?\s*$", re.M)
_MARKUP = re.compile(r"[*`\[\]]|\]\([^)]*\)|\(/[^)]*\)")

# Filler words of a typed question: they say nothing about which page is meant.
_STOPWORDS = frozenset("""
    aber als am an auch auf aus bei bin bis da das dass dem den der des die dies diese diesem dieser doch
    du durch ein eine einem einen einer eines er es für hat habe haben hatte ich ihr im in ist ja kann
    kein keine keinen keiner können mein meine mehr mich mit muss nach nicht nichts noch nur ob oder
    schon sein sich sie sind so und uns von vom war was wenn werden wie wieder wir wird wo zu zum zur
    ihr ihre ihrem ihren ihrer ihres sein seine seinem seinen seiner wurde wurden worden dann denn hier
    bitte geht gibt mal man immer trotz obwohl warum wieso weshalb
    a an and are can cannot does for from has have how i in is it my no not of on or the to was what
    when why with
""".split())

# Words a practice uses for the same thing; each group counts as its first word. The words are
# written as typed, they are stemmed like everything else.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("ankommen", "angekommen", "kommt", "kam", "erhalten", "bekommen", "bekommt", "empfangen", "erreicht",
     "zugestellt", "eingegangen", "arrive", "arrived", "received", "receive", "get", "got"),
    ("mail", "email", "e-mail", "mails", "nachricht", "post", "postfach", "message"),
    ("code", "zugangscode", "zugangscodes", "pin", "einmalcode"),
    ("gerät", "handy", "telefon", "smartphone", "iphone", "android", "endgerät", "device", "phone"),
    ("tablet", "ipad", "terminal"),  # the check-in terminal at the counter, not a therapist's phone
    ("anmelden", "einloggen", "login", "log", "anmeldung", "reinkommen", "sign"),
    ("spam", "junk", "werbung", "unerwünscht"),
    ("absender", "adressbuch", "positivliste"),
    ("datenbank", "daten", "database"),
    ("fehlt", "fehlen", "verfügung", "bereitsteht", "missing"),
    ("deaktiviert", "deaktivieren", "gesperrt", "sperren", "abgeschaltet", "deactivated"),
    ("abmelden", "ausloggen", "logout", "abgemeldet", "löscht", "gelöscht"),
    ("verbindung", "wlan", "internet", "offline", "netz", "funkloch", "connection"),
    ("passwort", "kennwort", "password"),
    ("falsch", "ungültig", "abgelehnt", "fehler", "fehlermeldung", "invalid", "wrong", "error"),
    ("schreibweise", "tippfehler", "vertippt", "rechtschreibung", "spelling"),
)


@lru_cache(maxsize=4)
def _stemmer(language: str):
    return snowballstemmer.stemmer("english" if language == "en" else "german")


@lru_cache(maxsize=4)
def _canon(language: str) -> dict[str, str]:
    """Stem -> the stem of its synonym group's first word."""
    stem = _stemmer(language).stemWord
    mapping = {}
    for group in SYNONYMS:
        head = stem(_tokens(group[0])[0])
        for word in group:
            for token in _tokens(word):
                mapping.setdefault(stem(token), head)
    return mapping


def _tokens(text: str) -> list[str]:
    return [match.group(0).casefold() for match in _WORD.finditer(text)]


def terms(language: str, text: str, drop_stopwords: bool = True) -> list[str]:
    """The search terms of a text: its words, stemmed and with synonyms made one."""
    stem, canon = _stemmer(language).stemWord, _canon(language)
    found = []
    for token in _tokens(text):
        if drop_stopwords and (token in _STOPWORDS or len(token) < 2):
            continue
        stemmed = stem(token)
        found.append(canon.get(stemmed, stemmed))
    return found


@dataclass(frozen=True)
class _Section:
    page: HelpPage
    anchor: str | None  # None: the page's top
    title: str
    text: str  # the section's plain text, for the snippet
    title_terms: frozenset[str]  # the section's own heading
    page_terms: frozenset[str]  # the page's title, for a section below it
    body_terms: dict[str, int]  # term -> how often


def _plain(markdown: str, sender: str) -> str:
    return " ".join(_MARKUP.sub(" ", markdown.replace("{sender}", sender)).split())


@lru_cache(maxsize=8)
def _sections(language: str, sender: str) -> tuple[_Section, ...]:
    """Every page cut at its headings; the first part carries the page's title."""
    found = []
    for page in pages(language).values():
        headings = list(_HEADING.finditer(page.source))
        for index, heading in enumerate(headings):
            end = headings[index + 1].start() if index + 1 < len(headings) else len(page.source)
            body = page.source[heading.end():end]
            title = heading.group(2).strip()
            anchor = heading.group(3) if index else None
            page_terms = frozenset(terms(language, page.title)) if index else frozenset()
            counts: dict[str, int] = {}
            for term in terms(language, body):
                counts[term] = counts.get(term, 0) + 1
            found.append(_Section(page, anchor, title, _plain(body, sender), frozenset(terms(language, title)),
                                  page_terms, counts))
    return tuple(found)


@dataclass(frozen=True)
class Hit:
    page: HelpPage
    anchor: str | None
    section_title: str | None
    score: float
    snippet: Markup


def _same(term: str, word: str) -> bool:
    """The same word in another form the stemmer leaves apart ("nutzt" and "nutz(en)")."""
    if term == word:
        return True
    short, long = sorted((term, word), key=len)
    return len(short) >= 4 and len(long) - len(short) <= 2 and long.startswith(short)


def _in(term: str, words) -> bool:
    return any(_same(term, word) for word in words)


def _score(section: _Section, wanted: list[str]) -> tuple[int, float]:
    """(how many of the words the section holds, how strongly): coverage first, then weight."""
    covered, weight = 0, 0.0
    for term in wanted:
        if _in(term, section.title_terms):  # a page's own title says most: the page is about it
            title = 4.0 if section.anchor else 5.0
        else:
            title = 2.0 if _in(term, section.page_terms) else 0.0
        count = sum(n for word, n in section.body_terms.items() if _same(term, word))
        if not count and not title and len(term) >= 4:  # a part of a compound: "code" in "Zugangscode"
            count = int(any(term in word for word in section.body_terms if word != term))
        if title or count:
            covered += 1
            weight += title + 1.0 + math.log(1 + count)
    return covered, weight


def _snippet(language: str, section: _Section, wanted: set[str], typed: set[str]) -> Markup:
    """About 160 characters of the section around the first word as typed (else the first of the
    same meaning), every matching word marked."""
    stem, canon = _stemmer(language).stemWord, _canon(language)

    def matches(word: str) -> bool:
        token = word.casefold()
        stemmed = stem(token)
        return token not in _STOPWORDS and canon.get(stemmed, stemmed) in wanted

    text = section.text
    words = list(_WORD.finditer(text))
    first = next((m.start() for m in words if stem(m.group(0).casefold()) in typed),
                 next((m.start() for m in words if matches(m.group(0))), 0))
    start = max(0, first - 60)
    if start:
        start = text.find(" ", start) + 1 or start
    cut = text[start:start + 160]
    marked = _WORD.sub(lambda m: f"\0{m.group(0)}\1" if matches(m.group(0)) else m.group(0), cut)
    html = str(escape(marked)).replace("\0", "<mark>").replace("\1", "</mark>")
    return Markup(("… " if start else "") + html + (" …" if start + 160 < len(text) else ""))


def search(language: str, query: str, sender: str, limit: int = 8) -> list[Hit]:
    """The help's answer to a typed question: each page once, at its best section, best first.
    Any word may match; a section holding more of the words ranks higher, a title match most."""
    wanted = list(dict.fromkeys(terms(language, query)))
    if not wanted:
        wanted = list(dict.fromkeys(terms(language, query, drop_stopwords=False)))
    if not wanted:
        return []
    best: dict[str, tuple[tuple[int, float], _Section]] = {}
    for section in _sections(language, sender):
        score = _score(section, wanted)
        if score[0] and (section.page.slug not in best or score > best[section.page.slug][0]):
            best[section.page.slug] = (score, section)
    ranked = sorted(best.values(), key=lambda found: found[0], reverse=True)[:limit]
    typed = {_stemmer(language).stemWord(token) for token in _tokens(query)}
    return [Hit(section.page, section.anchor, section.title if section.anchor else None,
                round(score[0] * 100 + score[1], 2), _snippet(language, section, set(wanted), typed))
            for score, section in ranked]
