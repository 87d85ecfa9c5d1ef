#!/usr/bin/env bash
# Tier 2: the language server under headless Neovim (Debian's 0.7.2).
# Prints `nvim: N passed, N failed` as its last line; exits non-zero on any failure.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

fail() {
  echo "nvim: $1"
  echo "nvim: 0 passed, 1 failed"
  exit 1
}

command -v nvim >/dev/null 2>&1 || fail "nvim is not installed (apt-get install -y neovim)"
command -v node >/dev/null 2>&1 || fail "node is not on PATH"
# The shipped bundle when it is built (npm run build), else the tsc output.
if [ -n "${VIRTLINT_LSP_SERVER:-}" ]; then server="$VIRTLINT_LSP_SERVER"
elif [ -f "$root/dist/server.js" ]; then server="$root/dist/server.js"
else server="$root/out/server/src/lsp/main.js"; fi
[ -f "$server" ] || fail "server not built: $server is missing (run npm run build)"
echo "server: $server ($(nvim --version | head -1))"

# Work on copies: the checks edit buffers and must never touch the fixtures.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here"/fixtures/* "$work/"

log="$work/nvim.log"
VIRTLINT_SERVER="$server" VIRTLINT_FIXTURES="$work" HOME="$work" XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache" \
  timeout 120 nvim --headless --clean -c "luafile $here/check.lua" >"$log" 2>&1 </dev/null
status=$?
cat "$log"
summary="$(grep -E '^nvim-lua: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)"
[ -n "$summary" ] || fail "Neovim exited (status $status) without a summary"
passed="$(sed -E 's/^nvim-lua: ([0-9]+) passed.*/\1/' <<<"$summary")"
failed="$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$summary")"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "nvim: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
