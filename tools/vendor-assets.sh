#!/usr/bin/env bash
# Refreshes the vendored front-end files from the npm registry (pinned versions).
# The portal never loads anything from a CDN; these copies are committed.
set -euo pipefail
HTMX=2.0.11
PICO=2.1.1
AXE=4.14.1
SIGNATURE_PAD=5.1.4
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm init -y >/dev/null
npm install --no-audit --no-fund "htmx.org@$HTMX" "@picocss/pico@$PICO" "axe-core@$AXE" "signature_pad@$SIGNATURE_PAD" >/dev/null
rm -f "$here"/portal/static/vendor/signature_pad-*.min.js "$here"/portal/static/vendor/htmx-*.min.js "$here"/portal/static/vendor/pico-*.min.css "$here"/tests/vendor/axe-*.min.js
cp node_modules/htmx.org/dist/htmx.min.js "$here/portal/static/vendor/htmx-$HTMX.min.js"
cp node_modules/@picocss/pico/css/pico.min.css "$here/portal/static/vendor/pico-$PICO.min.css"
cp node_modules/axe-core/axe.min.js "$here/tests/vendor/axe-$AXE.min.js"
cp node_modules/signature_pad/dist/signature_pad.umd.min.js "$here/portal/static/vendor/signature_pad-$SIGNATURE_PAD.umd.min.js"
echo "vendored htmx $HTMX, pico $PICO, axe-core $AXE, signature_pad $SIGNATURE_PAD"
