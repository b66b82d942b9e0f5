#!/usr/bin/env bash
# Refreshes the vendored front-end files and the PDF font from the npm registry (pinned versions).
# The portal never loads anything from a CDN; these copies are committed. The font's files must
# match the checksums committed beside them (portal/fonts/SHA256SUMS), or nothing is replaced.
set -euo pipefail
HTMX=2.0.11
PICO=2.1.1
AXE=4.14.1
SIGNATURE_PAD=5.1.4
HASH_WASM=4.13.0  # Argon2id in WebAssembly for the terminal's offline identification
NOTO_SANS=0.4.2  # @expo-google-fonts/noto-sans: Noto Sans (SIL OFL 1.1) for the billing PDFs
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm init -y >/dev/null
npm install --no-audit --no-fund "htmx.org@$HTMX" "@picocss/pico@$PICO" "axe-core@$AXE" "signature_pad@$SIGNATURE_PAD" \
  "hash-wasm@$HASH_WASM" "@expo-google-fonts/noto-sans@$NOTO_SANS" >/dev/null
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
rm -f "$here"/portal/static/vendor/signature_pad-*.min.js "$here"/portal/static/vendor/hash-wasm-argon2-*.min.js "$here"/portal/static/vendor/htmx-*.min.js "$here"/portal/static/vendor/pico-*.min.css "$here"/tests/vendor/axe-*.min.js
cp node_modules/htmx.org/dist/htmx.min.js "$here/portal/static/vendor/htmx-$HTMX.min.js"
cp node_modules/@picocss/pico/css/pico.min.css "$here/portal/static/vendor/pico-$PICO.min.css"
cp node_modules/axe-core/axe.min.js "$here/tests/vendor/axe-$AXE.min.js"
cp node_modules/signature_pad/dist/signature_pad.umd.min.js "$here/portal/static/vendor/signature_pad-$SIGNATURE_PAD.umd.min.js"
cp node_modules/hash-wasm/dist/argon2.umd.min.js "$here/portal/static/vendor/hash-wasm-argon2-$HASH_WASM.umd.min.js"
cp fonts/* "$here/portal/fonts/"
echo "vendored htmx $HTMX, pico $PICO, axe-core $AXE, signature_pad $SIGNATURE_PAD, hash-wasm $HASH_WASM, Noto Sans $NOTO_SANS"
