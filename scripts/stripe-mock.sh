#!/usr/bin/env bash
# stripe-mock for the Stripe connector's tests: install it, start it, stop it.
#
#   scripts/stripe-mock.sh install   build bin/stripe-mock (stripe-mock v0.203.0,
#                                    `go install` through the Go module proxy);
#                                    a second run only checks the version
#   scripts/stripe-mock.sh start     install if needed, start it in the
#                                    background on loopback and print its HTTP
#                                    port (STRIPE_MOCK_PORT picks it; default:
#                                    a free one)
#   scripts/stripe-mock.sh stop      stop the one `start` started
#   scripts/stripe-mock.sh run       install if needed and run it in the
#                                    foreground (same loopback flags)
#
# stripe-mock binds every interface for any listener it is not given an
# address for, HTTPS included, so it is always started with both
# -http-addr 127.0.0.1:PORT and -https-addr 127.0.0.1:PORT2.
#
# The Go tests in connectors/stripe start their own stripe-mock from
# bin/stripe-mock (or $STRIPE_MOCK_BIN); they only need `install`.
set -euo pipefail

VERSION=v0.203.0
MODULE=github.com/stripe/stripe-mock

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN_DIR="$ROOT/bin"
BIN="$BIN_DIR/stripe-mock"
PID_FILE="$BIN_DIR/stripe-mock.pid"
LOG_FILE="$BIN_DIR/stripe-mock.log"

say() { printf 'stripe-mock: %s\n' "$*" >&2; }
die() { printf 'stripe-mock: %s\n' "$*" >&2; exit 1; }

# A non-login shell (CI) may not have Go on PATH on this kind of machine.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="/usr/local/go/bin:$PATH"
fi

installed_version() {
  [ -x "$BIN" ] || return 0
  # `go version -m` reads the module version the binary was built from.
  go version -m "$BIN" 2>/dev/null | awk -v m="$MODULE" '$1 == "mod" && $2 == m { print $3 }'
}

install() {
  command -v go >/dev/null 2>&1 || die "go not found"
  if [ "$(installed_version)" = "$VERSION" ]; then
    say "$BIN is $VERSION"
    return 0
  fi
  say "installing $MODULE@$VERSION into $BIN_DIR"
  mkdir -p "$BIN_DIR"
  # The module vendors its dependencies and builds with any Go since 1.22.
  GOBIN="$BIN_DIR" GOFLAGS=-buildvcs=false go install "$MODULE@$VERSION"
  [ "$(installed_version)" = "$VERSION" ] || die "installed $BIN does not report $MODULE $VERSION"
}

running_pid() {
  [ -f "$PID_FILE" ] || return 0
  local pid
  pid="$(cat "$PID_FILE")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    [ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null || echo stripe-mock)")" = stripe-mock ]; then
    echo "$pid"
  fi
}

start() {
  install >/dev/null
  if [ -n "$(running_pid)" ]; then
    die "already running (pid $(running_pid)); run: $0 stop"
  fi
  local port="${STRIPE_MOCK_PORT:-0}"
  : >"$LOG_FILE"
  "$BIN" -http-addr "127.0.0.1:$port" -https-addr "127.0.0.1:0" >"$LOG_FILE" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PID_FILE"
  # It loads its OpenAPI spec first (a few seconds), then prints
  # "Listening for HTTP at address: 127.0.0.1:PORT".
  local addr="" i
  for i in $(seq 1 300); do
    addr="$(sed -n 's/^Listening for HTTP at address: //p' "$LOG_FILE" | head -n1)"
    [ -n "$addr" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      cat "$LOG_FILE" >&2
      die "exited before listening"
    fi
    sleep 0.1
  done
  if [ -z "$addr" ]; then
    kill "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
    die "not listening after 30s (log: $LOG_FILE)"
  fi
  say "pid $pid, http://$addr (log: $LOG_FILE)"
  echo "${addr##*:}"
}

stop() {
  local pid
  pid="$(running_pid)"
  if [ -z "$pid" ]; then
    rm -f "$PID_FILE"
    say "not running"
    return 0
  fi
  kill "$pid"
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$PID_FILE"
  say "stopped pid $pid"
}

run() {
  install >/dev/null
  exec "$BIN" -http-addr "127.0.0.1:${STRIPE_MOCK_PORT:-12111}" -https-addr "127.0.0.1:${STRIPE_MOCK_HTTPS_PORT:-0}"
}

case "${1:-install}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  run) run ;;
  *) die "usage: $0 [install|start|stop|run]" ;;
esac
