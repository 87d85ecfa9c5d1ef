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
need_apt=()
command -v nasm >/dev/null || need_apt+=(nasm)
command -v as >/dev/null && command -v objdump >/dev/null && command -v ld >/dev/null || need_apt+=(binutils)
command -v fasm >/dev/null || need_apt+=(fasm)
command -v gcc >/dev/null || need_apt+=(gcc)
command -v patch >/dev/null || need_apt+=(patch)
command -v timeout >/dev/null || need_apt+=(coreutils)
command -v nvim >/dev/null || need_apt+=(neovim)
command -v qemu-system-x86_64 >/dev/null || need_apt+=(qemu-system-x86)
command -v chromium >/dev/null || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  note "installing with apt-get: ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >"$LOG_DIR/apt.log" 2>&1 \
      || { echo "test: apt-get install failed (see $LOG_DIR/apt.log)"; }
  else
    echo "test: missing tools (${need_apt[*]}) and not root: install them with apt-get install -y ${need_apt[*]}"
  fi
fi
missing=()
for tool in nasm as objdump ld fasm gcc patch nvim qemu-system-x86_64 chromium node npm; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test: REQUIRED TOOLS MISSING: ${missing[*]}"
  count tools 0 ${#missing[@]}
fi

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
run_mocha fixes 'out/test/fixes/*.test.js'
run_mocha cli 'out/test/cli/*.test.js'
run_mocha scan 'out/test/scan/*.test.js'
run_mocha props 'out/test/props/*.test.js'
run_mocha lsp 'out/test/lsp/*.test.js'

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
run_script proof bash proof/run.sh
run_script vscode bash test/vscode/run.sh

note "summary"
printf '%s\n' "${SUMMARY[@]}"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
