#!/usr/bin/env bash
# Refreshes the vendored front-end files and the PDF font from the npm registry (pinned versions).
# The portal never loads anything from a CDN; these copies are committed. sql.js and the font must
# match the checksums pinned here and committed beside the font (portal/fonts/SHA256SUMS), or
# nothing is replaced.
set -euo pipefail
HTMX=2.0.11
PICO=2.1.1
AXE=4.14.1
SIGNATURE_PAD=5.1.4
HASH_WASM=4.13.0  # Argon2id in WebAssembly for the terminal's offline identification
NOTO_SANS=0.4.2  # @expo-google-fonts/noto-sans: Noto Sans (SIL OFL 1.1) for the billing PDFs
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
  "hash-wasm@$HASH_WASM" "@expo-google-fonts/noto-sans@$NOTO_SANS" "sql.js@$SQLJS" >/dev/null
echo "$SQLJS_SHA256" | sha256sum --check --strict --quiet || { echo "sql.js $SQLJS: Prüfsumme stimmt nicht" >&2; exit 1; }
noto=node_modules/@expo-google-fonts/noto-sans
mkdir fonts
cp "$noto/400Regular/NotoSans_400Regular.ttf" fonts/NotoSans-Regular.ttf
cp "$noto/700Bold/NotoSans_700Bold.ttf" fonts/NotoSans-Bold.ttf
cp "$noto/400Regular_Italic/NotoSans_400Regular_Italic.ttf" fonts/NotoSans-Italic.ttf
cp "$noto/LICENSE_FONT" fonts/OFL.txt
(cd fonts && sha256sum --check --quiet "$here/portal/fonts/SHA256SUMS") || {
  echo "Noto Sans $NOTO_SANS does not match portal/fonts/SHA256SUMS: not replaced" >&2
  exit 1
}
rm -f "$here"/portal/static/vendor/signature_pad-*.min.js "$here"/portal/static/vendor/hash-wasm-argon2-*.min.js \
  "$here"/portal/static/vendor/htmx-*.min.js "$here"/portal/static/vendor/pico-*.min.css "$here"/tests/vendor/axe-*.min.js \
  "$here"/portal/static/vendor/sql-wasm-* "$here"/portal/static/vendor/sql.js-*.LICENSE
cp node_modules/htmx.org/dist/htmx.min.js "$here/portal/static/vendor/htmx-$HTMX.min.js"
cp node_modules/@picocss/pico/css/pico.min.css "$here/portal/static/vendor/pico-$PICO.min.css"
cp node_modules/axe-core/axe.min.js "$here/tests/vendor/axe-$AXE.min.js"
cp node_modules/signature_pad/dist/signature_pad.umd.min.js "$here/portal/static/vendor/signature_pad-$SIGNATURE_PAD.umd.min.js"
cp node_modules/hash-wasm/dist/argon2.umd.min.js "$here/portal/static/vendor/hash-wasm-argon2-$HASH_WASM.umd.min.js"
cp node_modules/sql.js/dist/sql-wasm.js "$here/portal/static/vendor/sql-wasm-$SQLJS.js"
cp node_modules/sql.js/dist/sql-wasm.wasm "$here/portal/static/vendor/sql-wasm-$SQLJS.wasm"
cp node_modules/sql.js/LICENSE "$here/portal/static/vendor/sql.js-$SQLJS.LICENSE"
cp fonts/* "$here/portal/fonts/"
echo "vendored htmx $HTMX, pico $PICO, axe-core $AXE, signature_pad $SIGNATURE_PAD, hash-wasm $HASH_WASM, sql.js $SQLJS, Noto Sans $NOTO_SANS"
