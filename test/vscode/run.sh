#!/usr/bin/env bash
# Tier 3 (real VS Code through code-server + headless Chromium). Needs `npm run build` first;
# `--vsix [FILE]` tests the packaged extension instead (needs `npm run package`).
# Last line: "vscode: N passed, N failed"; exit 1 on any failure or missing tool.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
if ! bash scripts/e2e-setup.sh; then
  echo "vscode: 0 passed, 1 failed"
  exit 1
fi
node out/test/vscode/run.js "$@"
