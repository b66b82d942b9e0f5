"""German alphabetical order (DIN 5007-1, the order of a dictionary): umlauts sort as their base
letter, ß as "ss", accents and case do not count. SQL alone cannot do it on SQLite (its order is
by code point: "Şahin" after "Zimmermann"), so lists sort by a key made here."""

from __future__ import annotations

import unicodedata

SORT_KEY_LENGTH = 240  # three times a name's 80 characters: folding can lengthen it ("ß" → "ss")
# letters that no Unicode decomposition takes back to a Latin base letter
_SPECIAL = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "ŀ": "l", "ŧ": "t",
                          "æ": "ae", "œ": "oe", "þ": "th"})


def sort_key(text: str | None) -> str:
    """The key that sorts ``text`` in German dictionary order, e.g. "Özdemir" → "ozdemir"."""
    folded = unicodedata.normalize("NFKD", (text or "").casefold()).translate(_SPECIAL)
    return "".join(char for char in folded if not unicodedata.combining(char)).strip()[:SORT_KEY_LENGTH]
