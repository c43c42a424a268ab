#!/usr/bin/env bash
# Production smoke test: what the Dockerfile's runtime stage does, without Docker.
# Copies the build output to a clean folder outside the repo, installs production dependencies only
# (so a runtime dependency left in devDependencies fails here), starts the API from there against the local
# IAM emulator with fake credentials and a clean environment, with the embedded store in a temp DATA_DIR (migrated
# at boot from the .sql files the build put beside the bundle), checks health and one real route, runs the
# notifier once in dry-run mode and the scanner once into the same store, then stops everything. Exit code 0 only if
# every step passed.
#
#   bash scripts/smoke-prod.sh              # builds first (npm run build)
#   SMOKE_SKIP_BUILD=1 bash scripts/smoke-prod.sh   # reuse dist/ from an earlier build
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
started=$SECONDS

work="$(mktemp -d "${TMPDIR:-/tmp}/iam-key-monitor-smoke.XXXXXX")"
app="$work/app"
api_pid=''
emulator_pid=''

log() { printf '[smoke %3ss] %s\n' "$((SECONDS - started))" "$*" >&2; }
fail() {
  log "FAIL: $*"
  for f in api.log emulator.log notifier.log scanner.log; do
    if [[ -s "$work/$f" ]]; then
      printf -- '--- last lines of %s ---\n' "$f" >&2
      tail -n 30 "$work/$f" >&2
    fi
  done
  exit 1
}
stop() { # pid: SIGTERM, then SIGKILL after 10 s
  local pid="$1"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  stop "$api_pid"
  stop "$emulator_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# GET url [bearer-token] -> prints the status (0 when unreachable), body in $work/body.
http_get() {
  BODY_FILE="$work/body" node -e '
    const [url, token] = process.argv.slice(1);
    fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10000) })
      .then(async (res) => { require("node:fs").writeFileSync(process.env.BODY_FILE, await res.text()); console.log(res.status); })
      .catch(() => { require("node:fs").writeFileSync(process.env.BODY_FILE, ""); console.log(0); });
  ' "$1" "${2:-}"
}
free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
# Replaces the calling subshell with "$@" in a clean environment, as in the container: nothing from the CI shell
# (no real AWS credentials, no NODE_PATH), fake keys, AWS endpoints pointing at the emulator.
exec_clean() {
  exec env -i PATH="$PATH" HOME="$work" TMPDIR="$work" NODE_ENV=production \
    AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=fake AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_ENDPOINT_URL="$emulator_url" "$@"
}

# 1. Build, and lay out the runtime folder exactly as the image does.
if [[ "${SMOKE_SKIP_BUILD:-}" != 1 ]]; then
  log 'npm run build'
  npm run build --silent >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; fail 'build failed'; }
fi
[[ -f dist/apps/api/main.js ]] || fail 'dist/apps/api/main.js is missing: run npm run build'
mkdir -p "$app"
cp -R dist package.json package-lock.json "$app/"
log "npm ci --omit=dev --ignore-scripts in $app"
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error) \
  >"$work/npm.log" 2>&1 || { cat "$work/npm.log" >&2; fail 'production install failed'; }
[[ ! -d "$app/node_modules/typescript" ]] || fail 'a dev dependency (typescript) was installed in the production folder'
for bundle in "$app"/dist/apps/*/; do
  [[ -f "$bundle/migrations/001_initial.sql" ]] || fail "the build put no migrations beside ${bundle#"$app/"}main.js"
done
# The embedded store, outside the app folder (the image's is a volume); the API and then the notifier use it.
data_dir="$work/data"

# 2. The IAM (and SES) emulator, from the repo (it is a dev tool, not part of the image).
log 'starting the IAM emulator'
node -r @swc-node/register scripts/emulator.ts --port 0 --users 50 --seed 42 \
  >"$work/emulator.url" 2>"$work/emulator.log" &
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

# 3. The API, from the production folder.
port="$(free_port)"
metrics_port="$(free_port)"
token="smoke-$(node -e 'console.log(require("node:crypto").randomBytes(16).toString("hex"))')"
base="http://127.0.0.1:$port"
log "starting the API from $app on port $port"
(
  cd "$app"
  exec_clean PORT="$port" METRICS_PORT="$metrics_port" HOST=127.0.0.1 LOG_LEVEL=info API_TOKENS="$token" \
    SHUTDOWN_GRACE_MS=3000 DATA_DIR="$data_dir" node dist/apps/api/main.js
) >"$work/api.log" 2>&1 &
api_pid=$!

status=0
for _ in $(seq 300); do
  kill -0 "$api_pid" 2>/dev/null || fail 'the API exited during startup'
  status="$(http_get "$base/health/live")"
  [[ "$status" == 0 ]] || break
  sleep 0.1
done
[[ "$status" == 200 ]] || fail "GET /health/live answered $status (expected 200)"
log 'GET /health/live -> 200'

status="$(http_get "$base/health/ready")"
if [[ "$status" == 404 ]]; then
  log 'GET /health/ready -> 404: the readiness route does not exist yet, skipped'
elif [[ "$status" == 200 ]]; then
  grep -Eq '"store":{("engine":"pglite","status":"up"|"status":"up","engine":"pglite")}' "$work/body" || fail "readiness without the store: $(head -c 300 "$work/body")"
  grep -q "Store ready: embedded PostgreSQL in $data_dir; applied 001_initial.sql" "$work/api.log" ||
    fail "the API did not log migrating the embedded store in $data_dir"
  [[ -f "$data_dir/PG_VERSION" && -f "$data_dir/iam-key-monitor.lock" ]] || fail "no embedded store (or no lock) in $data_dir"
  log "GET /health/ready -> 200, the store migrated in $data_dir"
else
  fail "GET /health/ready answered $status (expected 200): $(head -c 500 "$work/body")"
fi

status="$(http_get "$base/v1/iam/old-access-keys/list-users?hours=24" "$token")"
[[ "$status" == 200 ]] || fail "GET /v1/iam/old-access-keys/list-users?hours=24 answered $status: $(head -c 500 "$work/body")"
node -e '
  const body = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  if (!Array.isArray(body.old_access_keys)) { console.error("no old_access_keys array in the answer"); process.exit(1); }
  console.error(`[smoke] list-users found ${body.old_access_keys.length} old key(s)`);
' "$work/body" || fail 'list-users answered 200 without old_access_keys'
log 'GET /v1/iam/old-access-keys/list-users?hours=24 -> 200 with old_access_keys'

status="$(http_get "http://127.0.0.1:$metrics_port/metrics")"
[[ "$status" == 200 ]] || fail "GET /metrics on METRICS_PORT answered $status"
log 'GET /metrics on METRICS_PORT -> 200'

status="$(http_get "$base/docs/")"
[[ "$status" == 200 ]] || fail "GET /docs/ (Swagger UI) answered $status"
log 'GET /docs/ -> 200'

# SIGTERM, as Kubernetes sends it: the API must drain and exit 0 on its own.
kill -TERM "$api_pid"
api_exit=0
wait "$api_pid" || api_exit=$?
api_pid=''
[[ "$api_exit" == 0 ]] || fail "the API exited with $api_exit after SIGTERM (expected 0)"
[[ ! -e "$data_dir/iam-key-monitor.lock" ]] || fail "the API left its DATA_DIR lock behind after a clean stop"
log 'API stopped cleanly on SIGTERM'

# 4. The notifier, once, in dry-run mode (writes the mails to a folder instead of calling SES).
if [[ -f "$app/dist/apps/notifier/main.js" ]]; then
  mkdir -p "$work/mail"
  log 'running the notifier (dry run)'
  notifier_exit=0
  (
    cd "$app"
    exec_clean NOTIFIER_SENDER='IAM key monitor <iam-key-monitor@example.com>' NOTIFIER_FALLBACK_RECIPIENTS=security@example.com \
      NOTIFIER_DRY_RUN_DIR="$work/mail" DATA_DIR="$data_dir" timeout 60 node dist/apps/notifier/main.js
  ) >"$work/notifier.log" 2>&1 || notifier_exit=$?
  [[ "$notifier_exit" == 0 ]] || fail "the notifier exited with $notifier_exit (expected 0)"
  mails="$(find "$work/mail" -type f | wc -l)"
  [[ "$mails" -gt 0 ]] || fail 'the notifier dry run wrote no mail'
  log "notifier dry run OK: $mails file(s) written"
else
  log 'dist/apps/notifier/main.js does not exist: notifier skipped'
fi

# 5. The scanner (the scan CronJob's command), once, unsharded, into the same embedded store: every account's part.
if [[ -f "$app/dist/apps/scanner/main.js" ]]; then
  log 'running the scanner'
  scanner_exit=0
  (
    cd "$app"
    exec_clean DATA_DIR="$data_dir" timeout 120 node dist/apps/scanner/main.js
  ) >"$work/scanner.log" 2>&1 || scanner_exit=$?
  [[ "$scanner_exit" == 0 ]] || fail "the scanner exited with $scanner_exit (expected 0)"
  grep -q '"msg":"The scan job finished"' "$work/scanner.log" || fail 'the scanner logged no finished scan'
  grep -q '"status":"complete"' "$work/scanner.log" || fail 'the scanner did not record a complete scan'
  log 'scanner OK: one complete scan recorded'
else
  log 'dist/apps/scanner/main.js does not exist: scanner skipped'
fi

log "PASS in $((SECONDS - started)) s"
