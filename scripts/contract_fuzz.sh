#!/usr/bin/env bash
# Contract fuzzing: schemathesis against the running server, with the committed OpenAPI
# document, signed in as each role in turn (each on a fresh database, so that one role's
# commands, e.g. an admin deactivating a user, cannot spoil another's run).
#
#   scripts/contract_fuzz.sh [--backend sqlite|postgres] [--examples N] [--seed N]
#
# Needs target/debug/mardom (cargo build), curl, jq, and schemathesis in target/ci-venv
# (.ci/run installs it; or set SCHEMATHESIS=/path/to/schemathesis). For --backend postgres,
# MARDOM_FUZZ_POSTGRES_URL names a server (default postgres://postgres@127.0.0.1:5432) on which
# a scratch database is created per role and dropped afterwards.
#
# Runs every phase (examples, coverage, fuzzing, stateful) with the checks not_a_server_error,
# response_schema_conformance, status_code_conformance, content_type_conformance and
# ignored_auth; prints per-role totals; writes a JUnit report per role and a text summary under
# target/contract-fuzz/; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BACKEND=sqlite
EXAMPLES=${MARDOM_FUZZ_EXAMPLES:-20}
SEED=${MARDOM_FUZZ_SEED:-20240606}
ROLES=(admin intake operator reviewer head unit_staff)
while [[ $# -gt 0 ]]; do
    case $1 in
    --backend) BACKEND=$2 && shift 2 ;;
    --examples) EXAMPLES=$2 && shift 2 ;;
    --seed) SEED=$2 && shift 2 ;;
    --roles) IFS=, read -r -a ROLES <<<"$2" && shift 2 ;;
    *) echo "unknown argument: $1" >&2 && exit 2 ;;
    esac
done

readonly SCHEMATHESIS=${SCHEMATHESIS:-target/ci-venv/bin/schemathesis}
readonly BIN=$PWD/target/debug/mardom
readonly OPENAPI=${MARDOM_FUZZ_OPENAPI:-$PWD/openapi/openapi.json}
readonly PORT=${MARDOM_FUZZ_PORT:-18091}
readonly BASE=http://127.0.0.1:$PORT
readonly PG_URL=${MARDOM_FUZZ_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
readonly ADMIN_PASSWORD=fuzz-admin-password
readonly DEMO_PASSWORD=mardom-demo-1234
readonly CHECKS=${MARDOM_FUZZ_CHECKS:-not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance,ignored_auth}
readonly OUT=$PWD/target/contract-fuzz/$BACKEND
readonly SUMMARY=$OUT/summary.txt

[[ -x $BIN ]] || { echo "$BIN is missing: run cargo build first" >&2 && exit 2; }
[[ -x $SCHEMATHESIS ]] || { echo "$SCHEMATHESIS is missing" >&2 && exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT"

SERVER_PID=""
FOLDER=""
PG_DB=""

stop_server() {
    if [[ -n $SERVER_PID ]]; then
        scripts/stop-within "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
    if [[ -n $PG_DB ]]; then
        psql -X -q -w -d "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null || true
        PG_DB=""
    fi
    [[ -n $FOLDER ]] && rm -rf "$FOLDER"
    FOLDER=""
}
trap stop_server EXIT

# start_server ROLE: a fresh database with the demo units and one user per role.
start_server() {
    local role=$1 url
    FOLDER=$(mktemp -d)
    if [[ $BACKEND == postgres ]]; then
        PG_DB="mardom_fuzz_${role}_$$"
        psql -X -q -w -v ON_ERROR_STOP=1 -d "$PG_URL/postgres" -c "CREATE DATABASE $PG_DB" >/dev/null
        url=$PG_URL/$PG_DB
    else
        url=sqlite://$FOLDER/mardom.db
    fi
    (cd "$FOLDER" && exec env DATABASE_URL="$url" MARDOM_BIND=127.0.0.1:$PORT \
        MARDOM_ADMIN_PASSWORD=$ADMIN_PASSWORD MARDOM_DEMO=1 MARDOM_DISPATCHER=off \
        MARDOM_JWT_SECRET=fuzz-secret-0123456789abcdef0123456789abcdef \
        MARDOM_IDENTITY_KEYS=s1:AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM= MARDOM_BLIND_INDEX_KEY=BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ= \
        MARDOM_SUBMISSIONS_PER_CLIENT_HOUR=1000000 MARDOM_SUBMISSIONS_PER_MOBILE_DAY=1000000 MARDOM_MEETING_REQUESTS_PER_MOBILE=1000000 \
        MARDOM_LOOKUPS_PER_CLIENT_MINUTE=1000000 MARDOM_SIGNIN_MAX_FAILURES=1000000 \
        MARDOM_SMS_PER_MOBILE_HOUR=0 RUST_LOG=warn "$BIN") >"$OUT/server-$role.log" 2>&1 &
    SERVER_PID=$!
    local waited=0
    until curl -sf -o /dev/null "$BASE/health/ready"; do
        if ((waited >= 60)) || ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "the server did not become ready:" >&2
            cat "$OUT/server-$role.log" >&2
            return 1
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
}

token_for() {
    local role=$1 username password
    case $role in
    admin) username=admin password=$ADMIN_PASSWORD ;;
    unit_staff) username=unit password=$DEMO_PASSWORD ;;
    *) username=$role password=$DEMO_PASSWORD ;;
    esac
    curl -sf "$BASE/api/v1/auth/token" -H 'content-type: application/json' \
        -d "$(jq -n --arg u "$username" --arg p "$password" '{username: $u, password: $p}')" |
        jq -er .access_token
}

printf 'contract fuzzing on %s: schemathesis %s, seed %s, at most %s examples per operation\n' \
    "$BACKEND" "$("$SCHEMATHESIS" --version | awk '{print $NF}')" "$SEED" "$EXAMPLES" | tee "$SUMMARY"
FAILED=0
for role in "${ROLES[@]}"; do
    start_server "$role"
    token=$(token_for "$role")
    self_id="" decoy_id=""
    if [[ $role == admin ]]; then
        users=$(curl -sf "$BASE/api/v1/users" -H "Authorization: Bearer $token")
        self_id=$(jq -er '.items[] | select(.username == "admin") | .id' <<<"$users")
        decoy_id=$(jq -er '.items[] | select(.username == "intake") | .id' <<<"$users")
    fi
    log=$OUT/$role.log
    rc=0
    SCHEMATHESIS_HOOKS=$PWD/scripts/contract_fuzz_hooks.py MARDOM_FUZZ_SELF_ID=$self_id \
        MARDOM_FUZZ_DECOY_ID=$decoy_id "$SCHEMATHESIS" run "$OPENAPI" --url "$BASE" --no-color \
        --phases examples,coverage,fuzzing,stateful --checks "$CHECKS" \
        --seed "$SEED" --max-examples "$EXAMPLES" --generation-database none \
        --continue-on-failure --workers 1 --request-timeout 10 \
        -H "Authorization: Bearer $token" \
        --report junit${MARDOM_FUZZ_NDJSON:+,ndjson} --report-dir "$OUT" --report-junit-path "$OUT/$role.junit.xml" ${MARDOM_FUZZ_NDJSON:+--report-ndjson-path "$OUT/$role.ndjson"} \
        >"$log" 2>&1 || rc=$?
    stop_server
    # The closing line looks like: "== 1234 passed, 2 failed, 3 skipped in 40.1s ==" (any part
    # may be missing); "Test cases:" gives the number of generated cases.
    cases=$(grep -Eo '[0-9]+ generated' "$log" | head -1 | grep -Eo '[0-9]+' || echo '?')
    result=$(grep -E '^=+ .* in [0-9.]+s =+$' "$log" | tail -1 | sed -E 's/^=+ //; s/ =+$//')
    line=$(printf '%-11s cases %-6s %s (exit %d)' "$role" "$cases" "${result:-no summary}" "$rc")
    echo "$line" | tee -a "$SUMMARY"
    if [[ $rc -ne 0 ]]; then
        FAILED=$((FAILED + 1))
        sed -n '/FAILURES\|ERRORS/,$p' "$log" | head -150 || true
    fi
done
if ((FAILED > 0)); then
    echo "contract fuzzing: $FAILED role(s) failed; logs in $OUT" | tee -a "$SUMMARY"
    exit 1
fi
echo "contract fuzzing: 0 failures; logs and JUnit reports in $OUT" | tee -a "$SUMMARY"
