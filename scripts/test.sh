#!/usr/bin/env bash
# The README's test command (`npm test`). Installs or checks every tool the tests need,
# builds, runs every tier, and ends with one line: `N passed, N failed`.
# Nothing is skipped silently: a missing tool or a tier that cannot run counts as a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LOG_DIR=${VIRTLINT_TEST_LOGS:-$ROOT/.tmp/test-logs}
mkdir -p "$LOG_DIR"

PASSED=0
FAILED=0
SUMMARY=()

note() { printf '\n=== %s ===\n' "$*"; }
count() { # tier passed failed
  PASSED=$((PASSED + $2)); FAILED=$((FAILED + $3)); SUMMARY+=("$(printf '%-10s %5d passed, %5d failed' "$1" "$2" "$3")")
}

# --- tools -------------------------------------------------------------------------------
# VIRTLINT_FASM=emulated forces fasm (a 32-bit i386 program) through qemu-user even where the
# kernel runs it natively, to test the path that machines without 32-bit support take.
FASM_CHOICE=${VIRTLINT_FASM:-auto}
apt_install() { # packages...
  note "installing with apt-get: $*"
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq >>"$LOG_DIR/apt.log" 2>&1 || true; APT_UPDATED=1; fi
    apt-get install -y -qq --no-install-recommends "$@" >>"$LOG_DIR/apt.log" 2>&1 \
      || echo "test: apt-get install $* failed (see $LOG_DIR/apt.log)"
  else
    echo "test: missing tools ($*) and not root: install them with apt-get install -y $*"
  fi
}
: >"$LOG_DIR/apt.log"
need_apt=()
command -v nasm >/dev/null || need_apt+=(nasm)
command -v as >/dev/null && command -v objdump >/dev/null && command -v ld >/dev/null || need_apt+=(binutils)
command -v fasm >/dev/null || need_apt+=(fasm)
command -v gcc >/dev/null || need_apt+=(gcc)
command -v g++ >/dev/null || need_apt+=(g++)
command -v clang >/dev/null || need_apt+=(clang)
command -v wasm-ld >/dev/null || need_apt+=(lld) # clang --target=wasm32 links with it: the scan tier rebuilds the WebAssembly length loop
command -v addr2line >/dev/null || need_apt+=(binutils)
[ -x /usr/bin/rustc ] || need_apt+=(rustc) # Debian's rustc: the embedded oracle uses /usr/bin/rustc only
command -v patch >/dev/null || need_apt+=(patch)
for triplet in aarch64-linux-gnu arm-linux-gnueabihf riscv64-linux-gnu powerpc64le-linux-gnu mips-linux-gnu; do # other ISAs' assemblers: the foreign-assembly oracle
  command -v "$triplet-as" >/dev/null || need_apt+=("binutils-$triplet")
done
command -v timeout >/dev/null || need_apt+=(coreutils)
command -v nvim >/dev/null || need_apt+=(neovim)
command -v emacs >/dev/null || need_apt+=(emacs-nox) # the emacs tier (eglot)
dpkg -s elpa-eglot >/dev/null 2>&1 || need_apt+=(elpa-eglot)
command -v pre-commit >/dev/null || need_apt+=(pre-commit) # the package tier: the pre-commit hook
/usr/bin/python3 -c 'import yaml' 2>/dev/null || need_apt+=(python3-yaml) # the package tier reads action.yml with it
command -v qemu-system-x86_64 >/dev/null || need_apt+=(qemu-system-x86)
dpkg -s bochs bochs-sdl bochsbios vgabios >/dev/null 2>&1 || need_apt+=(bochs bochs-sdl bochsbios vgabios) # the proof bench's second CPU model
command -v chromium >/dev/null || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
command -v x86_64-w64-mingw32-gcc >/dev/null && command -v i686-w64-mingw32-gcc >/dev/null || need_apt+=(gcc-mingw-w64-x86-64 gcc-mingw-w64-i686) # scan: PE32/PE32+ fixtures
[ ${#need_apt[@]} -gt 0 ] && apt_install "${need_apt[@]}"
# fasm runs natively only where the kernel runs 32-bit programs; elsewhere under qemu-user.
fasm_runs_natively() { command -v fasm >/dev/null && fasm 2>&1 | grep -q 'flat assembler'; }
if [ "$FASM_CHOICE" = emulated ] || ! fasm_runs_natively; then
  need_apt=()
  command -v qemu-i386 >/dev/null || command -v qemu-i386-static >/dev/null || need_apt+=(qemu-user)
  dpkg -s libc6-i386 >/dev/null 2>&1 || need_apt+=(libc6-i386)
  [ ${#need_apt[@]} -gt 0 ] && apt_install "${need_apt[@]}"
fi
missing=()
for tool in nasm as objdump ld addr2line fasm gcc g++ clang clang++ /usr/bin/rustc patch nvim qemu-system-x86_64 chromium node npm; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test: REQUIRED TOOLS MISSING: ${missing[*]}"
  count tools 0 ${#missing[@]}
fi

# --- machine facts (what a failure elsewhere is most often explained by) ------------------
first_line() { # the first line a tool prints about itself
  command -v "$1" >/dev/null || { echo "not installed"; return; }
  local all out
  all=$("$@" 2>&1 </dev/null | head -c 4096; true)
  out=$(grep -m1 -E '[0-9]+\.[0-9]+' <<<"$all" || grep -m1 . <<<"$all" || true)
  echo "${out:-no output}"
}
note "machine"
echo "kernel:       $(uname -srm)"
echo "os:           $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
echo "cores/memory: $(nproc) cores, $(free -g 2>/dev/null | awk '/^Mem:/ {print $2 " GiB"}')"
if [ -x /lib/ld-linux.so.2 ] && /lib/ld-linux.so.2 --version >/dev/null 2>&1; then
  echo "32-bit:       the kernel runs i386 programs"
elif [ -x /lib/ld-linux.so.2 ]; then
  echo "32-bit:       the kernel refuses i386 programs ($(/lib/ld-linux.so.2 --version 2>&1 | head -1))"
else
  echo "32-bit:       unknown (no i386 loader installed; fasm's own check is below)"
fi
echo "node:         $(node --version) (npm $(npm --version 2>/dev/null))"
echo "nasm:         $(first_line nasm -v)"
echo "as:           $(first_line as --version)"
echo "gcc:          $(first_line gcc --version)"
echo "clang:        $(first_line clang --version)"
echo "rustc:        $(first_line /usr/bin/rustc --version)"
echo "fasm:         $(first_line fasm | sed 's/^\(.\{60\}\).*/\1/')"
echo "qemu-i386:    $(first_line qemu-i386 --version)"
echo "qemu-system:  $(first_line qemu-system-x86_64 --version)"
echo "nvim:         $(first_line nvim --version)"
echo "chromium:     $(first_line chromium --version)"

# --- dependencies and build --------------------------------------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  note "npm ci"
  npm ci --no-audit --no-fund >"$LOG_DIR/npm-ci.log" 2>&1 || { echo "test: npm ci failed (see $LOG_DIR/npm-ci.log)"; count npm-ci 0 1; }
fi
note "build"
if ! npm run -s build >"$LOG_DIR/build.log" 2>&1; then
  cat "$LOG_DIR/build.log" | tail -40
  echo "test: build failed"
  count build 0 1
  printf '%s\n' "${SUMMARY[@]}"
  echo "$PASSED passed, $FAILED failed"
  exit 1
fi
count build 1 0

# --- fasm: one way for the whole run ------------------------------------------------------
note "fasm"
if fasm_way=$(VIRTLINT_FASM=$FASM_CHOICE node out/test/helpers/fasm.js 2>"$LOG_DIR/fasm.log"); then
  export VIRTLINT_FASM_WAY=${fasm_way%%$'\t'*}
  echo "fasm runs ${VIRTLINT_FASM_WAY} (VIRTLINT_FASM=$FASM_CHOICE): ${fasm_way#*$'\t'}"
else
  # The fasm tests then fail one by one with this same reason.
  echo "test: FASM CANNOT RUN: $(cat "$LOG_DIR/fasm.log")"
  count fasm 0 1
fi

# --- mocha tiers -------------------------------------------------------------------------
run_mocha() { # tier glob...
  local tier=$1; shift
  local files=()
  for pattern in "$@"; do for f in $pattern; do [ -f "$f" ] && files+=("$f"); done; done
  if [ ${#files[@]} -eq 0 ]; then
    echo "test: tier $tier has no test files"; count "$tier" 0 1; return
  fi
  note "mocha: $tier (${#files[@]} files)"
  local log="$LOG_DIR/$tier.log"
  npx mocha --timeout 180000 --reporter spec "${files[@]}" 2>&1 | tee "$log" | grep -E '^\s+([0-9]+\)|✓|✔)|passing|failing|pending|Error' | tail -60
  local passing failing pending
  passing=$(grep -Eo '^\s*[0-9]+ passing' "$log" | grep -Eo '[0-9]+' | tail -1)
  failing=$(grep -Eo '^\s*[0-9]+ failing' "$log" | grep -Eo '[0-9]+' | tail -1)
  pending=$(grep -Eo '^\s*[0-9]+ pending' "$log" | grep -Eo '[0-9]+' | tail -1)
  passing=${passing:-0}; failing=${failing:-0}; pending=${pending:-0}
  if [ "$passing" = 0 ] && [ "$failing" = 0 ]; then failing=1; echo "test: tier $tier did not run (see $log)"; fi
  # A skipped (pending) test is not a pass.
  count "$tier" "$passing" $((failing + pending))
}

run_mocha unit 'out/test/unit/*.test.js'
run_mocha rules 'out/test/rules/*.test.js'
run_mocha oracle 'out/test/oracle/*.test.js'
run_mocha project 'out/test/project/*.test.js'
run_mocha fixes 'out/test/fixes/*.test.js'
run_mocha cli 'out/test/cli/*.test.js'
run_mocha scan 'out/test/scan/*.test.js'
run_mocha props 'out/test/props/*.test.js'
run_mocha embedded 'out/test/embedded/*.test.js'
run_mocha lsp 'out/test/lsp/*.test.js'
run_mocha package 'out/test/package/*.test.js'

# --- script tiers (each ends with "<tier>: N passed, N failed") ---------------------------
run_script() { # tier command...
  local tier=$1; shift
  note "$tier"
  local log="$LOG_DIR/$tier.log"
  "$@" >"$log" 2>&1
  local rc=$?
  tail -25 "$log"
  local line
  line=$(grep -E "^$tier: .*[0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "test: tier $tier printed no summary (exit $rc; see $log)"; count "$tier" 0 1; return
  fi
  local p f
  p=$(echo "$line" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+')
  f=$(echo "$line" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+')
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; echo "test: tier $tier exited $rc"; fi
  count "$tier" "$p" "$f"
}

run_script grammar bash test/grammar/run.sh
run_script nvim bash test/nvim/run.sh
run_script emacs bash test/emacs/run.sh
run_script proof bash proof/run.sh
run_script vscode bash test/vscode/run.sh
run_script web bash test/web/run.sh

note "summary"
printf '%s\n' "${SUMMARY[@]}"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
