// Names as the portal compares them (portal/checkin/services.py, folded): composed the same way, in
// lower case, umlauts and ß as typed on a keyboard without them, trimmed as Python's str.strip()
// trims. Both sides are checked against one table, tests/data/name_folding.json.

// Python's str.strip() whitespace (JavaScript's trim() differs: \x1c-\x1f, \x85 and \ufeff)
const SPACE = "\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const EDGES = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, "g");
const FOLDS = { "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ς": "σ" };

export function trimmed(text) {
  return (text || "").replace(EDGES, "");
}

export function folded(name) {  // "MUELLER" is "Müller", "STRASSE" is "Straße"
  return trimmed((name || "").normalize("NFC").toLowerCase().replace(/[äöüßς]/g, (c) => FOLDS[c]));
}
