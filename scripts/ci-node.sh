#!/usr/bin/env bash
# Prints the bin folder of the Node version in .node-version (the one the image runs): the machine's own node when
# it is that version, else the npm registry's node-linux-<arch> package, unpacked once into CI_CACHE_DIR so later
# CI runs on the same machine reuse it. Prepend the folder to PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(tr -d '[:space:]' <.node-version)"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || {
  echo "[ci-node] .node-version holds '$version', expected x.y.z" >&2
  exit 1
}
if [[ "$(node --version 2>/dev/null || true)" == "v$version" ]]; then
  dirname "$(command -v node)"
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *)
    echo "[ci-node] no node-linux package for $(uname -m)" >&2
    exit 1
    ;;
esac
if [[ -z "${CI_CACHE_DIR:-}" ]]; then
  CI_CACHE_DIR=/var/cache/iam-key-monitor-ci
  [[ -w /var/cache ]] || CI_CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/iam-key-monitor-ci"
fi
dir="$CI_CACHE_DIR/node/$version-linux-$arch"
if [[ ! -x "$dir/bin/node" ]]; then
  mkdir -p "$CI_CACHE_DIR/node"
  tmp="$(mktemp -d "$CI_CACHE_DIR/node/.download.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "[ci-node] fetching node-linux-$arch@$version from the npm registry into $dir" >&2
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  tar -xzf "$tmp/node-linux-$arch-$version.tgz" -C "$tmp"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
fi
[[ "$("$dir/bin/node" --version)" == "v$version" ]] || {
  echo "[ci-node] $dir/bin/node is not v$version" >&2
  exit 1
}
echo "$dir/bin"
