#!/usr/bin/env bash
# client.sh: post one message to the pipeline and wait for its result, with curl only.
set -euo pipefail

usage() {
    cat <<'HELP'
Usage: ./client.sh [options] [MESSAGE]

Posts MESSAGE (default "hello from client.sh") to POST $api_url/inbox with a
fresh id, then polls GET $api_url/outbox?id=<id> until its result arrives, and
prints both answers. Exits 0 when the result came back, 1 otherwise.

Options:
  --api-url URL    base URL of the API (default: terraform output -raw api_url)
  --type TYPE      the message's type field (default: client)
  --timeout SECS   how long to wait for the result (default: 10)
  -h, --help       this help
HELP
}

api_url="" type="client" timeout=10 message="hello from client.sh"
while (($#)); do
    case "$1" in
        --api-url) api_url="${2:?--api-url needs a URL}"; shift 2 ;;
        --type) type="${2:?--type needs a value}"; shift 2 ;;
        --timeout) timeout="${2:?--timeout needs seconds}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        --) shift; message="$*"; break ;;
        -*) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) message="$1"; shift ;;
    esac
done
[[ "$timeout" =~ ^[0-9]+$ ]] || { echo "error: --timeout takes whole seconds" >&2; exit 2; }

if [[ -z "$api_url" ]]; then
    cd "$(dirname "$0")"
    api_url="$(terraform output -raw api_url 2>/dev/null)" || {
        echo "error: no deployed stack in terraform output; run make deploy or pass --api-url" >&2; exit 1; }
fi

# JSON string escaping for the characters JSON requires, without other tools.
json_string() {
    local s="$1"
    s="${s//\\/\\\\}"; s="${s//\"/\\\"}"; s="${s//$'\n'/\\n}"; s="${s//$'\r'/\\r}"; s="${s//$'\t'/\\t}"
    printf '"%s"' "$s"
}

id="client-$(date +%s)-$RANDOM$RANDOM"
body="{\"id\": $(json_string "$id"), \"message\": $(json_string "$message"), \"type\": $(json_string "$type")}"

# No request may hang past the wait the user asked for.
posted="$(curl -sS --max-time 30 -w '\n%{http_code}' -X POST "$api_url/inbox" -H 'Content-Type: application/json' --data-binary "$body")" || {
    echo "error: could not reach $api_url" >&2; exit 1; }
status="${posted##*$'\n'}"
echo "POST /inbox -> $status ${posted%$'\n'*}"
[[ "$status" == 200 ]] || exit 1

deadline=$((SECONDS + timeout))
while ((SECONDS < deadline)); do
    result="$(curl -sS --max-time 10 -w '\n%{http_code}' "$api_url/outbox?id=$id")" || { sleep 0.5; continue; }
    if [[ "${result##*$'\n'}" == 200 ]]; then
        echo "GET /outbox?id=$id -> 200 ${result%$'\n'*}"
        exit 0
    fi
    sleep 0.5
done
echo "error: no result for $id within ${timeout} s" >&2
exit 1
