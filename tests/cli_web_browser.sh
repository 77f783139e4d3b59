#!/usr/bin/env bash
# The labeling page in Debian's chromium, driven by playwright-core
# (tests/browser/web.mjs): text and gridworld DAgger answered through the
# page, two labelers, a reload and a killed mimic mid-round; after each the
# label log holds exactly the answers given. scripts/bootstrap installs
# chromium, node and the npm package (npm ci in tests/browser).
# MIMIC_SHOTS=docs/img refreshes the documentation's screenshots.
set -u
MIMIC=${1:?usage: cli_web_browser.sh path/to/mimic}
src=${MIMIC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v node >/dev/null || fail "needs node (scripts/bootstrap installs nodejs)"
command -v "${CHROMIUM:-chromium}" >/dev/null || fail "needs chromium (scripts/bootstrap installs it)"
if [ ! -d "$src/tests/browser/node_modules/playwright-core" ]; then
  # the npm registry was out of reach when scripts/bootstrap ran `npm ci`
  echo "SKIP: playwright-core is not installed: run 'npm ci' in tests/browser" >&2
  exit 77
fi
cd "$src/tests/browser" && node web.mjs "$MIMIC"
