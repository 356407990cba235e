#!/usr/bin/env bash
# Build the web playground into web/dist/: the engine compiled to
# WebAssembly (web/crate), the page, its vendored npm packages (KaTeX,
# marked, viz.js; versions fixed by package-lock.json) and the homework
# examples. Installs what it needs: the wasm32 target and the npm packages.
# Serve it with any static file server:
#   python3 -m http.server -d web/dist
set -euo pipefail
cd "$(dirname "$0")"

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
# A 16 MiB shadow stack in linear memory for the engine's own frames (the
# browser's native stack is the tighter bound; see app.js).
CARGO_TARGET_DIR="$PWD/../target/web" \
RUSTFLAGS="-C link-arg=-zstack-size=16777216" \
  cargo build --quiet --release --target wasm32-unknown-unknown --manifest-path crate/Cargo.toml
npm ci --silent --no-audit --no-fund

rm -rf dist
mkdir -p dist/vendor/katex dist/examples
cp index.html app.js style.css dist/
cp ../target/web/wasm32-unknown-unknown/release/matcalc_web.wasm dist/matcalc.wasm
cp ../examples/*.tex dist/examples/
cp node_modules/katex/dist/katex.min.css node_modules/katex/dist/katex.mjs dist/vendor/katex/
cp -r node_modules/katex/dist/fonts dist/vendor/katex/
cp node_modules/marked/lib/marked.esm.js dist/vendor/
cp node_modules/@viz-js/viz/dist/viz.js dist/vendor/
echo "built web/dist ($(du -sh dist | cut -f1); matcalc.wasm $(du -h dist/matcalc.wasm | cut -f1))"
