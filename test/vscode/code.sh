#!/usr/bin/env bash
# The executable handed to @vscode/test-electron as vscodeExecutablePath (see runner.ts).
exec node "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/out/test/vscode/runner.js" "$@"
