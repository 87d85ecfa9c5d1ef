#!/usr/bin/env bash
# The web tier (the web extension in a real browser): the web bundles and the .vsix, the server
# bundle in a plain Worker, the packaged extension in code-server's web worker extension host.
# Needs `npm run build` first; sets up the vscode tier's kit (code-server, headless Chromium).
# Last line: "web: N passed, N failed"; exit 1 on any failure or missing tool.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if ! bash scripts/e2e-setup.sh; then
  echo "web: 0 passed, 1 failed"
  exit 1
fi
node out/test/web/run.js "$@"
