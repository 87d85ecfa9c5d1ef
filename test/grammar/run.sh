#!/usr/bin/env bash
# Grammar tier: the generated grammar JSON and the client's package.json keys are current, the
# sensitive-instruction scope agrees with the rule catalogue, and every scope assertion in
# test/grammar/*.asm|*.S holds (vscode-tmgrammar-test tokenizes with vscode-textmate + oniguruma,
# as VS Code does). Needs `tsc -p .` first (reads the compiled catalogue and settings from out/).
# Last line: "grammar: N passed, N failed"; exit 1 on any failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
GRAMMAR=syntaxes/x86asm.tmLanguage.json
TOOL="$ROOT/node_modules/.bin/vscode-tmgrammar-test"
passed=0
failed=0

if [ ! -x "$TOOL" ]; then
  echo "grammar: vscode-tmgrammar-test is not installed (npm install)" >&2
  echo "grammar: 0 passed, 1 failed"
  exit 1
fi

for check in "syntaxes/x86asm.grammar.mjs --check" "client/manifest.mjs --check" "test/grammar/coverage.mjs"; do
  # shellcheck disable=SC2086
  if node $check; then
    passed=$((passed + 1))
  else
    echo "grammar: FAILED node $check" >&2
    failed=$((failed + 1))
  fi
done

shopt -s nullglob
cases=(test/grammar/*.asm test/grammar/*.S)
if [ ${#cases[@]} -eq 0 ]; then
  echo "grammar: no test cases found in test/grammar" >&2
  failed=$((failed + 1))
fi
for case in "${cases[@]}"; do
  if "$TOOL" -g "$GRAMMAR" "$case"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done

echo "grammar: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
