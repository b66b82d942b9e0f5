"""A last name typed at the counter is compared folded, and the portal and the tablet fold it alike:
one table of names (tests/data/name_folding.json: umlauts, ß, accents, Polish and Turkish letters,
hyphens, spaces, capitals) for checkin.services.folded and the tablet's static/terminal/fold.js
(here with Node; tests/browser/test_terminal_offline.py runs it in the browser too)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from portal.checkin.services import folded

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "tests/data/name_folding.json"
FOLD_JS = ROOT / "portal/static/terminal/fold.js"
CASES = json.loads(TABLE.read_text())["cases"]

# fold.js is an ES module of the page; Node imports it from its source (no package.json says "module")
NODE_SCRIPT = """
import { readFileSync } from "node:fs";
const [fold, table] = process.argv.slice(1);
const { folded } = await import("data:text/javascript," + encodeURIComponent(readFileSync(fold, "utf8")));
const cases = JSON.parse(readFileSync(table, "utf8")).cases;
process.stdout.write(JSON.stringify(cases.map(([typed]) => folded(typed))));
"""


@pytest.mark.parametrize(("typed", "expected"), CASES, ids=[f"{i}:{typed!r}" for i, (typed, _) in enumerate(CASES)])
def test_the_portal_folds_each_name_as_the_table_says(typed, expected):
    assert folded(typed) == expected


def test_the_table_covers_what_people_type():
    typed = "".join(name for name, _ in CASES)
    for letters in ("äöüß", "ÄÖÜẞ", "éñçå", "łśżŁŚŻ", "ıİşğŞĞ", "-", "\u3000\u00a0\t"):
        assert any(letter in typed for letter in letters), letters
    assert {expected for _, expected in CASES} >= {"mueller", "strasse", "oeztuerk"}


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js fehlt (bin/test installiert es für vnu-jar)")
def test_the_tablet_folds_each_name_as_the_portal_does():
    out = subprocess.run(["node", "--input-type=module", "-e", NODE_SCRIPT, str(FOLD_JS), str(TABLE)],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    assert [[typed, js] for (typed, _), js in zip(CASES, json.loads(out), strict=True)] == CASES
