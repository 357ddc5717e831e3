#!/usr/bin/env bash
# client.sh: post one message to the pipeline and wait for its result, with curl only.
set -euo pipefail

usage() {
    cat <<'HELP'
Usage: ./client.sh [options] [MESSAGE]

Posts MESSAGE (default "hello from client.sh") to POST $api_url/inbox with a
fresh id, then polls GET $api_url/outbox?id=<id> until its result arrives, and
prints both answers. Exits 0 when the result came back, 1 otherwise.

Requests carry what the stack's api_authorization asks for (docs/security.md):
  AWS_IAM  signed with SigV4 (curl --aws-sigv4) with AWS_ACCESS_KEY_ID,
           AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (if set) from the environment
  API_KEY  the key in x-api-key: $INBOX_API_KEY, else terraform output -raw api_key
Neither secret is put on a command line.

Options:
  --api-url URL    base URL of the API (default: terraform output -raw api_url)
  --auth MODE      NONE, AWS_IAM or API_KEY (default: terraform output -raw
                   api_authorization, or NONE with --api-url)
  --type TYPE      the message's type field (default: client)
  --timeout SECS   how long to wait for the result (default: 10)
  -h, --help       this help
HELP
}

api_url="" auth="" type="client" timeout=10 message="hello from client.sh"
while (($#)); do
    case "$1" in
        --api-url) api_url="${2:?--api-url needs a URL}"; shift 2 ;;
        --auth) auth="${2:?--auth needs NONE, AWS_IAM or API_KEY}"; shift 2 ;;
        --type) type="${2:?--type needs a value}"; shift 2 ;;
        --timeout) timeout="${2:?--timeout needs seconds}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        --) shift; message="$*"; break ;;
        -*) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) message="$1"; shift ;;
    esac
done
[[ "$timeout" =~ ^[0-9]+$ ]] || { echo "error: --timeout takes whole seconds" >&2; exit 2; }

cd "$(dirname "$0")"
if [[ -z "$api_url" ]]; then
    api_url="$(terraform output -raw api_url 2>/dev/null)" || {
        echo "error: no deployed stack in terraform output; run make deploy or pass --api-url" >&2; exit 1; }
    [[ -n "$auth" ]] || auth="$(terraform output -raw api_authorization 2>/dev/null)" || auth=NONE
fi
auth="${auth:-NONE}"

# curl reads the secrets from a config on a pipe (-K), never from its arguments.
case "$auth" in
    NONE) auth_config() { :; } ;;
    AWS_IAM)
        [[ -n "${AWS_ACCESS_KEY_ID:-}" && -n "${AWS_SECRET_ACCESS_KEY:-}" ]] || {
            echo "error: the API wants SigV4-signed requests (AWS_IAM): export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" \
                 "(e.g. eval \"\$(aws configure export-credentials --format env)\")" >&2; exit 1; }
        region="${AWS_REGION:-${AWS_DEFAULT_REGION:-$(terraform output -raw region 2>/dev/null || echo us-east-1)}}"
        auth_config() {
            printf 'aws-sigv4 = "aws:amz:%s:execute-api"\nuser = "%s:%s"\n' "$region" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"
            [[ -z "${AWS_SESSION_TOKEN:-}" ]] || printf 'header = "x-amz-security-token: %s"\n' "$AWS_SESSION_TOKEN"
        } ;;
    API_KEY)
        api_key="${INBOX_API_KEY:-$(terraform output -raw api_key 2>/dev/null || true)}"
        [[ -n "$api_key" ]] || {
            echo "error: the API wants an API key (API_KEY): set INBOX_API_KEY or deploy with api_authorization=API_KEY" >&2; exit 1; }
        auth_config() { printf 'header = "x-api-key: %s"\n' "$api_key"; } ;;
    *) echo "error: --auth takes NONE, AWS_IAM or API_KEY, not '$auth'" >&2; exit 2 ;;
esac

# JSON string escaping for the characters JSON requires, without other tools.
json_string() {
    local s="$1"
    s="${s//\\/\\\\}"; s="${s//\"/\\\"}"; s="${s//$'\n'/\\n}"; s="${s//$'\r'/\\r}"; s="${s//$'\t'/\\t}"
    printf '"%s"' "$s"
}

id="client-$(date +%s)-$RANDOM$RANDOM"
body="{\"id\": $(json_string "$id"), \"message\": $(json_string "$message"), \"type\": $(json_string "$type")}"

# No request may hang past the wait the user asked for.
posted="$(curl -K <(auth_config) -sS --max-time 30 -w '\n%{http_code}' -X POST "$api_url/inbox" -H 'Content-Type: application/json' --data-binary "$body")" || {
    echo "error: could not reach $api_url" >&2; exit 1; }
status="${posted##*$'\n'}"
echo "POST /inbox -> $status ${posted%$'\n'*}"
[[ "$status" == 200 ]] || exit 1

deadline=$((SECONDS + timeout))
while ((SECONDS < deadline)); do
    result="$(curl -K <(auth_config) -sS --max-time 10 -w '\n%{http_code}' "$api_url/outbox?id=$id")" || { sleep 0.5; continue; }
    if [[ "${result##*$'\n'}" == 200 ]]; then
        echo "GET /outbox?id=$id -> 200 ${result%$'\n'*}"
        exit 0
    fi
    sleep 0.5
done
echo "error: no result for $id within ${timeout} s" >&2
exit 1
