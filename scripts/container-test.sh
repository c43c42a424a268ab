#!/usr/bin/env bash
# Container test: builds the image from the unmodified Dockerfile and runs it as deploy/ runs it, against the
# local IAM + SES emulator on the host's loopback. Proves that
#   - the image builds, holds no npm/npx, no dev dependency, no test or emulator code, no npm config or CA
#     bundle from the build secrets (image filesystem and `docker history`), and runs the pinned Node;
#   - the API runs as the Deployment runs it (UID/GID, read-only root, dropped capabilities, limits, exactly its
#     writable mounts, its command and ConfigMap): the embedded store on a Docker volume standing for the claim,
#     migrated at boot, /health/ready 200, both routes with exactly the expected keys;
#   - `docker stop` (SIGTERM) drains an in-flight request and exits 0 within the pod's grace period;
#   - a new container on the same volume finds the store migrated (the data outlived the container), and a second
#     one started beside it is refused, naming DATA_DIR (the embedded store is one process per folder);
#   - the notifier runs in the same image as the CronJob runs it, in dry-run mode, exits 0 and writes its mail to
#     a mounted folder (nothing reaches SES);
#   - a bad setting stops either app with a non-zero exit, the variable named, and no stack trace; so does an
#     unreachable DATABASE_URL for the API, naming the server without the password.
# Ends with PASS or FAIL; exit code 0 only on PASS.
#
#   DOCKER=/usr/bin/docker DOCKER_HOST=unix:///... bash scripts/container-test.sh
# Environment: DOCKER (client, default `docker`), IMAGE (tag to build, default iam-key-monitor:container-test),
# CA_BUNDLE (CA file passed to the build as the `ca` secret when it exists, default Debian's bundle).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

DOCKER="${DOCKER:-docker}"
IMAGE="${IMAGE:-iam-key-monitor:container-test}"
CA_BUNDLE="${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
TOKEN="container-test-$(node -e 'console.log(require("node:crypto").randomBytes(12).toString("hex"))')"
SEED=42
USERS=100
HOURS=24
REPORT_DELAY_MS=3000

work="$(mktemp -d "${TMPDIR:-/tmp}/iam-key-monitor-container.XXXXXX")"
emulator_pid=''
containers=()
# The Deployment's PersistentVolumeClaims become named Docker volumes with this prefix (scripts/ci-container-args.ts).
export PVC_VOLUME_PREFIX="iam-key-monitor-ct-$$-"

log() { printf '[container %3ss] %s\n' "$((SECONDS - started))" "$*" >&2; }
fail() {
  log "FAIL: $*"
  for f in build.log emulator.log api.log notifier.log; do
    if [[ -s "$work/$f" ]]; then
      printf -- '--- last lines of %s ---\n' "$f" >&2
      tail -n 30 "$work/$f" >&2
    fi
  done
  echo 'container test: FAIL' >&2
  exit 1
}
cleanup() {
  for c in "${containers[@]}"; do
    "$DOCKER" rm -f "$c" >/dev/null 2>&1 || true
  done
  "$DOCKER" volume ls -q --filter "name=^${PVC_VOLUME_PREFIX}" 2>/dev/null | xargs -r "$DOCKER" volume rm -f >/dev/null 2>&1 || true
  if [[ -n "$emulator_pid" ]]; then
    kill -TERM "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ts_node() { node -r @swc-node/register "$@"; }
free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
# METHOD URL [JSON body] -> prints the status (000 when unreachable); body in $work/body.
http() {
  local args=(-s -o "$work/body" -w '%{http_code}' --max-time 30 -X "$1" -H "Authorization: Bearer $TOKEN")
  [[ -n "${3:-}" ]] && args+=(-H 'Content-Type: application/json' --data "$3")
  curl "${args[@]}" "$2" || true
}
# A log with no stack frame: Node's `    at fn (file:line:col)` lines.
assert_no_stack() {
  if grep -Eq '^\s+at .+:[0-9]+:[0-9]+\)?$|\\n\s+at ' "$1"; then
    fail "$2 printed a stack trace: $(grep -Em 3 '^\s+at |\\n\s+at ' "$1" | cut -c1-200)"
  fi
}

# ---- 1. build -----------------------------------------------------------------------------------------------------
# npm inside the build uses this machine's npm configuration (user settings over global) and CA bundle, as
# BuildKit secrets that are mounted during `npm ci` only.
secrets=()
secret_ids=''
(
  umask 077
  for f in "$(npm config get globalconfig)" "$(npm config get userconfig)"; do
    [[ -f "$f" ]] && cat "$f" && echo
  done >"$work/npmrc"
)
if [[ -s "$work/npmrc" ]]; then
  secrets+=(--secret "id=npmrc,src=$work/npmrc")
  secret_ids+=' npmrc'
fi
if [[ -f "$CA_BUNDLE" ]]; then
  secrets+=(--secret "id=ca,src=$CA_BUNDLE")
  secret_ids+=' ca'
fi
log "docker build -t $IMAGE . (build secrets:${secret_ids:- none})"
build_started=$SECONDS
DOCKER_BUILDKIT=1 "$DOCKER" build --network host --progress plain "${secrets[@]}" -t "$IMAGE" . \
  >"$work/build.log" 2>&1 || fail 'docker build failed'
size="$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE")"
log "built in $((SECONDS - build_started)) s; image size $((size / 1000000)) MB"

# ---- 2. what the image holds --------------------------------------------------------------------------------------
node_version="$(cat .node-version)"
actual_node="$("$DOCKER" run --rm --network none --entrypoint node "$IMAGE" --version)"
[[ "$actual_node" == "v$node_version" ]] || fail "the image runs Node $actual_node, .node-version says $node_version"
[[ "$("$DOCKER" image inspect -f '{{.Config.User}}' "$IMAGE")" == 1000:1000 ]] || fail 'the image user is not 1000:1000'

cid="$("$DOCKER" create "$IMAGE")"
containers+=("$cid")
mkdir "$work/rootfs"
"$DOCKER" export "$cid" | tar -x -C "$work/rootfs" --exclude='dev/*' 2>/dev/null || fail 'docker export failed'
rootfs="$work/rootfs"
for path in usr/local/bin/npm usr/local/bin/npx usr/local/lib/node_modules/npm usr/local/bin/corepack; do
  [[ ! -e "$rootfs/$path" && ! -L "$rootfs/$path" ]] || fail "/$path is in the image"
done
found="$(find "$rootfs" \( -name npm-cli.js -o -name npx-cli.js -o -name .npmrc -o -name npmrc \) -print | head -5)"
[[ -z "$found" ]] || fail "npm or an npm config is in the image: ${found//$rootfs/}"
[[ "$(ls "$rootfs/app" | tr '\n' ' ')" == 'dist node_modules package.json ' ]] ||
  fail "/app holds $(ls "$rootfs/app" | tr '\n' ' '), expected dist node_modules package.json"
# Every installed package is one the lockfile lists for production, none it marks dev-only.
node -e '
  const { existsSync, readdirSync } = require("node:fs");
  const [root] = process.argv.slice(1);
  const lock = require("./package-lock.json").packages;
  const installed = [];
  const walk = (dir) => {
    if (!existsSync(`${root}/app/${dir}`)) return;
    for (const name of readdirSync(`${root}/app/${dir}`)) {
      if (name.startsWith(".")) continue;
      const names = name.startsWith("@") ? readdirSync(`${root}/app/${dir}/${name}`).map((n) => `${name}/${n}`) : [name];
      for (const n of names) { installed.push(`${dir}/${n}`); walk(`${dir}/${n}/node_modules`); }
    }
  };
  walk("node_modules");
  const bad = installed.filter((p) => !lock[p] || lock[p].dev);
  if (bad.length > 0) { console.error(`dev-only or unlisted packages in the image: ${bad.slice(0, 10).join(", ")}`); process.exit(1); }
  const dev = Object.keys(lock).filter((p) => lock[p].dev).length;
  console.error(`[container] ${installed.length} packages in the image, all production ones; none of the ${dev} the lockfile marks dev-only`);
' "$rootfs" || fail 'the image holds dev dependencies'
tests="$(find "$rootfs/app" -path "$rootfs/app/node_modules" -prune -o \( -name '*.spec.*' -o -name '*.e2e-spec.*' -o -name 'testing' -o -name '*.fixture.*' \) -print | head -5)"
[[ -z "$tests" ]] || fail "test files in the image: ${tests//$rootfs/}"
# The emulator and test helpers would be bundled into dist/ if production code imported them.
if grep -rlE 'IamEmulator|seedAccount|aws-sdk-client-mock|credential-report\.builder|testIamConfig' "$rootfs/app/dist" >"$work/hits"; then
  fail "test or emulator code bundled in: $(sed "s#$rootfs##" "$work/hits" | head -3 | tr '\n' ' ')"
fi
# The build secrets: no file equal to the CA bundle, no credential of the npm config, nothing in the image history.
if [[ -f "$CA_BUNDLE" ]]; then
  ca_sum="$(sha256sum <"$CA_BUNDLE" | cut -d' ' -f1)"
  ca_size="$(stat -c %s "$CA_BUNDLE")"
  while IFS= read -r -d '' f; do
    [[ "$(sha256sum <"$f" | cut -d' ' -f1)" != "$ca_sum" ]] || fail "the CA bundle is in the image: ${f#"$rootfs"}"
  done < <(find "$rootfs" -type f -size "${ca_size}c" -print0)
fi
if [[ -s "$work/npmrc" ]]; then
  # The values of its credential-like settings (tokens, passwords, proxies with userinfo), never printed.
  grep -iE '^\s*[^#;=]*(auth|token|pass|cert|key|proxy)[^=]*=' "$work/npmrc" |
    sed -E 's/^[^=]*=\s*//; s/^"(.*)"$/\1/; s/\s*$//' | awk 'length($0) >= 8' | sort -u >"$work/npmrc-values" || true
  if [[ -s "$work/npmrc-values" ]] && grep -rlF -f "$work/npmrc-values" "$rootfs" >"$work/hits" 2>/dev/null; then
    fail "a credential from the npm config is in the image, in: $(sed "s#$rootfs##" "$work/hits" | head -3 | tr '\n' ' ')"
  fi
fi
if "$DOCKER" history --no-trunc --format '{{.CreatedBy}}' "$IMAGE" | grep -Eiq 'npmrc|secret|ca\.pem|_auth|token'; then
  fail 'the image history mentions the build secrets'
fi
rm -rf "$rootfs"
log 'image: pinned Node, user 1000:1000, no npm/npx, no dev dependency, no test or emulator code, no build secret'

# ---- 3. the emulator on the host ----------------------------------------------------------------------------------
ts_node scripts/ci-emulator.ts --expect "$work/expected.json" --users "$USERS" --seed "$SEED" --hours "$HOURS" \
  --report-delay "$REPORT_DELAY_MS" >"$work/emulator.url" 2>"$work/emulator.log" &
emulator_pid=$!
emulator_url=''
for _ in $(seq 200); do
  emulator_url="$(head -n 1 "$work/emulator.url" 2>/dev/null || true)"
  [[ "$emulator_url" == http* ]] && break
  kill -0 "$emulator_pid" 2>/dev/null || fail 'the emulator exited'
  sleep 0.1
done
[[ "$emulator_url" == http* ]] || fail 'the emulator did not print its URL within 20 s'
log "emulator at $emulator_url"

# The ConfigMap as the pods get it; on top, the test's own ports (host network), endpoints and fake credentials.
env_file() { # workload
  local overrides=(
    "AWS_ENDPOINT_URL=$emulator_url" "AWS_ENDPOINT_URL_IAM=$emulator_url" "AWS_ENDPOINT_URL_SESV2=$emulator_url"
    AWS_ACCESS_KEY_ID=AKIDCONTAINERTEST AWS_SECRET_ACCESS_KEY=container-test AWS_EC2_METADATA_DISABLED=true
    "API_TOKENS=$TOKEN" HOST=127.0.0.1
  )
  local line keys
  ts_node scripts/ci-container-args.ts env "$1" >"$work/configmap.env"
  while IFS= read -r line; do
    if [[ "${line%%=*}" =~ (^|_)PORT$ ]]; then
      overrides+=("${line%%=*}=$(free_port)")
    fi
  done <"$work/configmap.env"
  keys="$(printf '%s|' "${overrides[@]%%=*}")"
  grep -vE "^(${keys%|})=" "$work/configmap.env" || true
  printf '%s\n' "${overrides[@]}"
}
env_file Deployment >"$work/api.env"
env_file CronJob >"$work/notifier.env"
mapfile -t api_args < <(ts_node scripts/ci-container-args.ts args Deployment)
mapfile -t api_command < <(ts_node scripts/ci-container-args.ts command Deployment)
api_grace="$(ts_node scripts/ci-container-args.ts grace Deployment)"
mapfile -t notifier_args < <(ts_node scripts/ci-container-args.ts args CronJob)
mapfile -t notifier_command < <(ts_node scripts/ci-container-args.ts command CronJob)
log "Deployment: ${api_args[*]} ${api_command[*]}"

# ---- 4. the API, as the Deployment runs it ------------------------------------------------------------------------
api_port="$(sed -n 's/^PORT=//p' "$work/api.env")"
base="http://127.0.0.1:$api_port"
# PORT -> 200 on /health/ready within 60 s, or fail; the container must keep running meanwhile.
wait_ready() { # container what
  local status=000
  for _ in $(seq 600); do
    [[ "$("$DOCKER" inspect -f '{{.State.Running}}' "$1")" == true ]] || {
      "$DOCKER" logs "$1" >"$work/api.log" 2>&1
      fail "$2 exited during startup"
    }
    status="$(http GET "$base/health/ready")"
    [[ "$status" == 200 ]] && return 0
    sleep 0.1
  done
  "$DOCKER" logs "$1" >"$work/api.log" 2>&1
  fail "$2: GET /health/ready answered $status: $(head -c 300 "$work/body")"
}
data_dir="$(sed -n 's/^DATA_DIR=//p' "$work/api.env")"
printf '%s\n' "${api_args[@]}" | grep -q "^--mount=type=volume,src=${PVC_VOLUME_PREFIX}[^,]*,dst=${data_dir}\$" ||
  fail "DATA_DIR ($data_dir) is not on the Deployment's volume claim: ${api_args[*]}"
# The scheduler off in this container only: its startup scan would have IAM build the report first, and the
# credential-report request below must be the one waiting REPORT_DELAY_MS when SIGTERM arrives.
api="$("$DOCKER" run -d --network host "${api_args[@]}" --env-file "$work/api.env" -e SCAN_INTERVAL_MINUTES=0 \
  "$IMAGE" "${api_command[@]}")"
containers+=("$api")
wait_ready "$api" 'the API container'
"$DOCKER" logs "$api" >"$work/api.log" 2>&1
grep -q "Store ready: embedded PostgreSQL in ${data_dir}; applied 001_" "$work/api.log" ||
  fail "the API did not log migrating the embedded store in $data_dir"
[[ "$(http GET "$base/health/live")" == 200 ]] || fail 'GET /health/live is not 200'
log "API up: the embedded store in $data_dir (a volume) migrated at boot, then /health/ready 200"

[[ "$("$DOCKER" exec "$api" id -u):$("$DOCKER" exec "$api" id -g)" == 1000:1000 ]] || fail 'the API does not run as 1000:1000'
# The bench runs organization scans with the heap Node gives itself under this memory limit (scripts/pod-heap.ts):
# V8's whole heap limit here is that old generation plus a young generation of a few MB.
old_space_mb="$(ts_node scripts/ci-container-args.ts heap Deployment)"
heap_limit_mb="$("$DOCKER" exec "$api" node -e 'console.log(Math.round(require("node:v8").getHeapStatistics().heap_size_limit / 1048576))')"
((heap_limit_mb >= old_space_mb && heap_limit_mb <= old_space_mb + 64)) ||
  fail "V8's heap limit under the Deployment's memory limit is ${heap_limit_mb} MB, not ${old_space_mb} MB and a young generation (scripts/pod-heap.ts)"
log "heap limit in the API container: ${heap_limit_mb} MB (old generation ${old_space_mb} MB, as the bench assumes)"
if "$DOCKER" exec "$api" sh -c ': >/app/probe' 2>/dev/null; then
  fail 'the root filesystem is writable'
fi
"$DOCKER" exec "$api" sh -c ': >/tmp/probe' || fail '/tmp (the emptyDir) is not writable'
# The writable places: exactly the manifest's mounts (the tmpfs ones), nothing else mounted read-write.
writable="$("$DOCKER" exec "$api" sh -c "awk '\$4 ~ /^rw/ && \$2 !~ /^\\/(proc|sys|dev)(\\/|\$)/ {print \$2}' /proc/mounts | sort | tr '\\n' ' '")"
expected_writable="$(printf '%s\n' "${api_args[@]}" |
  sed -n -e 's/^--tmpfs=\([^:]*\):rw.*/\1/p' -e '/,readonly/!s/^--mount=type=volume,.*,dst=\([^,]*\).*/\1/p' | sort | tr '\n' ' ')"
[[ "$writable" == "$expected_writable" ]] || fail "writable mounts: '$writable', the manifest gives '$expected_writable'"
log "runs as 1000:1000, read-only root, writable only: $writable"

status="$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/iam/old-access-keys/list-users?hours=$HOURS")"
[[ "$status" == 401 ]] || fail "list-users without a token answered $status (expected 401)"

compare() { # route file
  node -e '
    const fs = require("node:fs");
    const [route, file, expectedFile] = process.argv.slice(1);
    const body = JSON.parse(fs.readFileSync(file, "utf8"));
    const want = JSON.parse(fs.readFileSync(expectedFile, "utf8"))[route.replace("-", "_")];
    const rows = body.old_access_keys.map((k) => `${k.user_name} ${k.access_key_id} ${k.status} ${k.created_date}`);
    const problems = [];
    if (JSON.stringify(rows) !== JSON.stringify(want.rows)) {
      problems.push(`keys differ: got ${rows.length}, expected ${want.rows.length}; first got ${rows[0]}, expected ${want.rows[0]}`);
    }
    if (body.count !== want.rows.length || body.source !== route || body.hours !== want.query.hours) {
      problems.push(`count/source/hours: ${body.count}/${body.source}/${body.hours}`);
    }
    if (want.root) {
      const root = body.root_access_keys.map(({ slot, active, last_rotated }) => ({ slot, active, last_rotated }));
      if (JSON.stringify(root) !== JSON.stringify(want.root)) problems.push(`root keys: ${JSON.stringify(root)}`);
    }
    if (problems.length > 0) { console.error(problems.join("\n")); process.exit(1); }
    console.error(`[container] ${route}: exactly the ${rows.length} expected keys`);
  ' "$1" "$2" "$work/expected.json"
}
status="$(http GET "$base/v1/iam/old-access-keys/list-users?hours=$HOURS")"
[[ "$status" == 200 ]] || fail "list-users answered $status: $(head -c 300 "$work/body")"
compare list-users "$work/body" || fail 'list-users did not answer the expected keys'

# The first credential-report request waits REPORT_DELAY_MS for the report: SIGTERM arrives while it is in flight.
report_status_file="$work/report.status"
(http POST "$base/v1/iam/old-access-keys/credential-report" "{\"hours\": $HOURS, \"include_inactive\": true}" \
  >"$report_status_file"; cp "$work/body" "$work/report.json") &
report_pid=$!
for _ in $(seq 100); do
  generated="$(curl -s "$emulator_url/_emulator/counters" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).requests?.GenerateCredentialReport ?? 0));')"
  [[ "$generated" -ge 1 ]] && break
  sleep 0.05
done
[[ "$generated" -ge 1 ]] || fail 'the credential-report request never reached the emulator'
stop_started=$SECONDS
"$DOCKER" stop -t "$api_grace" "$api" >/dev/null
stop_seconds=$((SECONDS - stop_started))
wait "$report_pid" || true
"$DOCKER" logs "$api" >"$work/api.log" 2>&1
exit_code="$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$api")"
[[ "$exit_code" == 0 ]] || fail "the API exited $exit_code after SIGTERM (expected 0 within ${api_grace} s)"
[[ "$stop_seconds" -lt "$api_grace" ]] || fail "the API took ${stop_seconds} s to stop (grace ${api_grace} s)"
grep -q 'draining 1 in-flight request' "$work/api.log" || fail 'the API did not log draining the in-flight request'
grep -q 'Shut down cleanly' "$work/api.log" || fail 'the API did not log a clean shutdown'
[[ "$(cat "$report_status_file")" == 200 ]] ||
  fail "the in-flight credential-report answered $(cat "$report_status_file"): $(head -c 300 "$work/report.json")"
compare credential-report "$work/report.json" || fail 'credential-report did not answer the expected keys'
assert_no_stack "$work/api.log" 'the API'
log "SIGTERM with a request in flight: drained, answered 200, exit 0 in ${stop_seconds} s (grace ${api_grace} s)"

# ---- 4b. the store outlives the container; one process per DATA_DIR ------------------------------------------------
api="$("$DOCKER" run -d --network host "${api_args[@]}" --env-file "$work/api.env" "$IMAGE" "${api_command[@]}")"
containers+=("$api")
wait_ready "$api" 'the API container started again'
"$DOCKER" logs "$api" >"$work/api.log" 2>&1
grep -q "Store ready: embedded PostgreSQL in ${data_dir}; schema up to date" "$work/api.log" ||
  fail 'the API started again on the same volume did not find its store migrated'
second_exit=0
timeout 60 "$DOCKER" run --rm --network host "${api_args[@]}" --env-file "$work/api.env" -e PORT="$(free_port)" \
  -e METRICS_PORT="$(free_port)" "$IMAGE" "${api_command[@]}" >"$work/second-api.log" 2>&1 || second_exit=$?
[[ "$second_exit" != 0 && "$second_exit" != 124 ]] || fail "a second API on the same DATA_DIR exited $second_exit (expected refused)"
# Both run with --network host, so they share a host name: the holder is named by pid (and its heartbeat decides).
grep -q "DATA_DIR ${data_dir} is in use by process 1" "$work/second-api.log" ||
  fail "the second API did not name DATA_DIR and its holder: $(head -c 400 "$work/second-api.log")"
grep -q 'DATABASE_URL' "$work/second-api.log" || fail 'the second API did not point to DATABASE_URL'
assert_no_stack "$work/second-api.log" 'the second API on one DATA_DIR'
"$DOCKER" stop -t "$api_grace" "$api" >/dev/null
log "a new container on the volume: store already migrated, ready; a second one beside it refused (exit $second_exit), DATA_DIR named"

# ---- 5. the notifier, as the CronJob runs it, dry run into a mounted folder ---------------------------------------
mkdir -m 0777 "$work/mail"
notifier_exit=0
timeout 120 "$DOCKER" run --rm --network host "${notifier_args[@]}" --env-file "$work/notifier.env" \
  -e NOTIFIER_DRY_RUN_DIR=/mail -v "$work/mail:/mail" "$IMAGE" "${notifier_command[@]}" \
  >"$work/notifier.log" 2>&1 || notifier_exit=$?
[[ "$notifier_exit" == 0 ]] || fail "the notifier exited $notifier_exit (expected 0)"
mails="$(find "$work/mail" -type f | wc -l)"
[[ "$mails" -gt 0 ]] || fail 'the notifier dry run wrote nothing to the mounted folder'
[[ "$(curl -s "$emulator_url/_emulator/emails")" == '[]' ]] || fail 'the dry run sent mail through SES'
assert_no_stack "$work/notifier.log" 'the notifier'
log "notifier: exit 0, $mails file(s) in the mounted folder, nothing sent"

# ---- 6. a bad setting stops both apps, naming it, without a stack trace -------------------------------------------
for app in api notifier; do
  if [[ "$app" == api ]]; then args=("${api_args[@]}") command=("${api_command[@]}"); else args=("${notifier_args[@]}") command=("${notifier_command[@]}"); fi
  bad_exit=0
  timeout 60 "$DOCKER" run --rm --network host "${args[@]}" --env-file "$work/$app.env" -e IAM_CONCURRENCY=abc \
    "$IMAGE" "${command[@]}" >"$work/bad-$app.log" 2>&1 || bad_exit=$?
  [[ "$bad_exit" != 0 && "$bad_exit" != 124 ]] || fail "$app with IAM_CONCURRENCY=abc exited $bad_exit (expected non-zero, no hang)"
  grep -q 'IAM_CONCURRENCY' "$work/bad-$app.log" || fail "$app did not name IAM_CONCURRENCY: $(head -c 300 "$work/bad-$app.log")"
  assert_no_stack "$work/bad-$app.log" "$app with a bad setting"
  log "$app with IAM_CONCURRENCY=abc: exit $bad_exit, variable named, no stack trace"
done
# Nothing listens on port 1: the API stops at boot, naming the server but not the password.
bad_exit=0
timeout 60 "$DOCKER" run --rm --network host "${api_args[@]}" --env-file "$work/api.env" \
  -e DATABASE_URL=postgres://monitor:never-printed@127.0.0.1:1/keys "$IMAGE" "${api_command[@]}" \
  >"$work/bad-database.log" 2>&1 || bad_exit=$?
[[ "$bad_exit" != 0 && "$bad_exit" != 124 ]] || fail "the API with an unreachable DATABASE_URL exited $bad_exit"
grep -q 'Cannot connect to PostgreSQL at postgres://\[redacted\]@127.0.0.1:1/keys' "$work/bad-database.log" ||
  fail "the API did not name the unreachable database: $(head -c 300 "$work/bad-database.log")"
! grep -q never-printed "$work/bad-database.log" || fail 'the API printed the database password'
assert_no_stack "$work/bad-database.log" 'the API with an unreachable DATABASE_URL'
log "api with an unreachable DATABASE_URL: exit $bad_exit, server named without its password, no stack trace"

log "image $IMAGE, $((size / 1000000)) MB"
echo "container test: PASS in $((SECONDS - started)) s" >&2
