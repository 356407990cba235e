#!/usr/bin/env bash
# Browser tests of the playground: install Debian's Chromium if missing,
# build web/dist (web/build.sh), drive the page in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
bash build.sh
node tests/browser.mjs
