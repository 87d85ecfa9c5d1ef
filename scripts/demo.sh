#!/usr/bin/env bash
# The README's first command: sets up virtlint on a fresh Debian/Ubuntu machine and lints the
# bundled examples. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "demo: installing Node.js and npm from the distribution"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm; else sudo apt-get update -qq && sudo apt-get install -y -qq nodejs npm; fi
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 12) ? 0 : 1)'; then
  echo "demo: virtlint needs Node.js 20.12 or newer (found $(node --version))" >&2
  exit 2
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run -s build
echo
echo "$ npx virtlint examples/"
status=0
node bin/virtlint.js examples/ || status=$?
echo
echo "(exit status $status: 0 = clean, 1 = findings, 2 = error)"
[ "$status" -le 1 ]
