#!/usr/bin/env bash
# Refreshes the vendored front-end files from the npm registry (pinned versions).
# The portal never loads anything from a CDN; these copies are committed.
set -euo pipefail
HTMX=2.0.11
PICO=2.1.1
AXE=4.14.1
SIGNATURE_PAD=5.1.4
SQLJS=1.16.0
# sql.js (SQLite as WebAssembly, for the web app /app): the files we ship must be exactly these
SQLJS_SHA256="9b96118841c6edfdf53c6f388c1419d1f473cf469df6a6fc2864b386d60bdb5e  node_modules/sql.js/dist/sql-wasm.js
43bbcdd44287e5a2db3b6b5af34b1a3485a7a441285d247976c1ebe3c61f8dbf  node_modules/sql.js/dist/sql-wasm.wasm
60a3f6e4d7b29b4321359e683b36cf198d24f58e24582070f56e6fa89d5ee2be  node_modules/sql.js/LICENSE"
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm init -y >/dev/null
npm install --no-audit --no-fund "htmx.org@$HTMX" "@picocss/pico@$PICO" "axe-core@$AXE" "signature_pad@$SIGNATURE_PAD" \
  "sql.js@$SQLJS" >/dev/null
echo "$SQLJS_SHA256" | sha256sum --check --strict --quiet || { echo "sql.js $SQLJS: Prüfsumme stimmt nicht" >&2; exit 1; }
rm -f "$here"/portal/static/vendor/signature_pad-*.min.js "$here"/portal/static/vendor/htmx-*.min.js "$here"/portal/static/vendor/pico-*.min.css "$here"/tests/vendor/axe-*.min.js \
  "$here"/portal/static/vendor/sql-wasm-* "$here"/portal/static/vendor/sql.js-*.LICENSE
cp node_modules/htmx.org/dist/htmx.min.js "$here/portal/static/vendor/htmx-$HTMX.min.js"
cp node_modules/@picocss/pico/css/pico.min.css "$here/portal/static/vendor/pico-$PICO.min.css"
cp node_modules/axe-core/axe.min.js "$here/tests/vendor/axe-$AXE.min.js"
cp node_modules/signature_pad/dist/signature_pad.umd.min.js "$here/portal/static/vendor/signature_pad-$SIGNATURE_PAD.umd.min.js"
cp node_modules/sql.js/dist/sql-wasm.js "$here/portal/static/vendor/sql-wasm-$SQLJS.js"
cp node_modules/sql.js/dist/sql-wasm.wasm "$here/portal/static/vendor/sql-wasm-$SQLJS.wasm"
cp node_modules/sql.js/LICENSE "$here/portal/static/vendor/sql.js-$SQLJS.LICENSE"
echo "vendored htmx $HTMX, pico $PICO, axe-core $AXE, signature_pad $SIGNATURE_PAD, sql.js $SQLJS"
