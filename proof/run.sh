#!/usr/bin/env bash
# npm run proof: the proof bench on two CPU models (QEMU TCG and Bochs). Ends with exactly one summary line:
#   proof: N cases, N passed, N failed; rules covered K/25; fixes proven F; models: qemu-tcg, bochs
set -u
cd "$(dirname "$0")/.."

summary_fail() {
  echo "proof: $1" >&2
  echo "proof: 0 cases, 0 passed, 1 failed; rules covered 0/25; fixes proven 0; models: qemu-tcg, bochs"
  exit 1
}

missing=""
command -v nasm >/dev/null 2>&1 || missing="$missing nasm"
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing="$missing qemu-system-x86_64"
command -v bochs >/dev/null 2>&1 || missing="$missing bochs"
command -v node >/dev/null 2>&1 || missing="$missing node"
if [ -n "$missing" ]; then
  summary_fail "missing:$missing — install with apt-get install -y qemu-system-x86 nasm bochs bochs-sdl bochsbios vgabios"
fi

# The fix cases take their text from the compiled fix engine: compile when out/ is missing or
# older than the analysis sources.
stale=0
if [ ! -f out/server/src/analysis/index.js ] || [ ! -f out/server/src/analysis/fixes/index.js ]; then
  stale=1
elif [ -n "$(find server/src/analysis -name '*.ts' -newer out/server/src/analysis/index.js -print -quit)" ]; then
  stale=1
fi
if [ "$stale" = 1 ]; then
  echo "proof: compiling the analysis core (npx tsc -p .)" >&2
  mkdir -p .proof-build
  npx tsc -p . > .proof-build/tsc.log 2>&1 || echo "proof: tsc reported errors (see .proof-build/tsc.log); using what it emitted" >&2
fi

exec node proof/bench.js "$@"
