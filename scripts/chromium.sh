#!/usr/bin/env bash
# A Chromium for the web view's browser test (test/e2e/web-view.e2e.ts, driven by playwright-core, which
# never downloads a browser of its own). The machine's chromium is used when there is one; otherwise
# Debian's chromium package is installed with apt-get (CI runs as root on a Debian machine): a browser
# needs dozens of shared libraries, which only the package manager resolves faithfully.
# Prints, on its last line, the browser's absolute path.
set -euo pipefail

for found in "${DRIFTGUARD_CHROMIUM:-}" "$(command -v chromium 2>/dev/null || true)" \
  "$(command -v chromium-browser 2>/dev/null || true)" /usr/bin/chromium; do
  if [ -n "$found" ] && [ -x "$found" ]; then
    echo "chromium is installed: $("$found" --version 2>/dev/null || echo "$found")" >&2
    echo "$found"
    exit 0
  fi
done

command -v apt-get >/dev/null ||
  { echo "chromium.sh: no chromium here, and apt-get is needed to install Debian's" >&2; exit 2; }
[ "$(id -u)" = 0 ] ||
  { echo "chromium.sh: no chromium here; install it (apt-get install chromium) or set DRIFTGUARD_CHROMIUM" >&2; exit 2; }

if ! apt-cache show chromium >/dev/null 2>&1; then
  echo "chromium.sh: no package list names chromium; running apt-get update" >&2
  apt-get update -qq >&2
fi
echo "chromium.sh: installing Debian's chromium" >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
command -v chromium
