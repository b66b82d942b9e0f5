#!/usr/bin/env bash
# Re-extracts the German source strings, merges them into the English catalogue and compiles it.
# Fill in the new empty msgstr entries in portal/translations/en/LC_MESSAGES/messages.po, then
# run this again; tests/test_i18n.py fails while an entry is untranslated.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k N_ -o portal/translations/messages.pot .
.venv/bin/pybabel -q update -i portal/translations/messages.pot -d portal/translations --width 100
.venv/bin/pybabel -q compile -d portal/translations
