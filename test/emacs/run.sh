#!/usr/bin/env bash
# Tier: the language server under headless Emacs with eglot (Debian's emacs-nox 28 and elpa-eglot).
# Prints `emacs: N passed, N failed` as its last line; exits non-zero on any failure.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

fail() {
  echo "emacs: $1"
  echo "emacs: 0 passed, 1 failed"
  exit 1
}

command -v emacs >/dev/null 2>&1 || fail "emacs is not installed (apt-get install -y emacs-nox elpa-eglot)"
[ -d /usr/share/emacs/site-lisp/elpa-src ] && ls /usr/share/emacs/site-lisp/elpa-src | grep -q '^eglot-' \
  || fail "eglot is not installed (apt-get install -y elpa-eglot)"
command -v node >/dev/null 2>&1 || fail "node is not on PATH"
[ -f "$root/dist/server.js" ] || fail "server not built: dist/server.js is missing (run npm run build)"
echo "server: $root/bin/virtlint-lsp.js ($(emacs --version | head -1), eglot $(ls /usr/share/emacs/site-lisp/elpa-src | sed -n 's/^eglot-//p'))"

# Work on copies (the checks edit buffers), with a private HOME so no user init file is read.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/fixtures" "$work/bin" "$work/home"
# The same files the Neovim tier opens, so both editors are held to the same findings.
cp "$here"/../nvim/fixtures/guest.asm "$here"/../nvim/fixtures/guest.c "$work/fixtures/"
# `virtlint-lsp` on PATH, as `npm install -g virtlint` would put it.
ln -s "$root/bin/virtlint-lsp.js" "$work/bin/virtlint-lsp"

log="$work/emacs.log"
PATH="$work/bin:$PATH" VIRTLINT_FIXTURES="$work/fixtures" HOME="$work/home" \
  timeout 180 emacs --batch -Q -l "$here/check.el" >"$log" 2>&1 </dev/null
status=$?
cat "$log"
[ "$status" -eq 124 ] && echo "emacs: timed out after 180 s"
summary="$(grep -E '^emacs-lisp: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)"
[ -n "$summary" ] || fail "Emacs exited (status $status) without a summary"
passed="$(sed -E 's/^emacs-lisp: ([0-9]+) passed.*/\1/' <<<"$summary")"
failed="$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$summary")"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "emacs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
