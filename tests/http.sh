# http METHOD PATH [BODY]: one request to 127.0.0.1:$PORT over bash's
# /dev/tcp (a bare machine has no curl); sets CODE and BODY. Sourced by
# the tests that talk to `mimic agent serve` and the labeling page.
http() {
  local LC_ALL=C body=${3-} reply
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
    "$1" "$2" "${#body}" "$body" >&3
  reply=$(cat <&3)
  exec 3<&-
  CODE=$(printf '%s' "$reply" | sed -n '1s/^HTTP\/1\.[01] \([0-9]*\).*/\1/p')
  BODY=${reply#*$'\r\n\r\n'}
  [ -n "$CODE" ]
}
# expect CODE METHOD PATH [BODY]: http, failing unless the reply has CODE
# (the sourcing test defines fail; PID, when set, is the mimic it talks to).
expect() {
  local want=$1; shift
  http "$@" || fail "no reply to $1 $2 ${3:0:60} (mimic $(kill -0 "${PID:-0}" 2>/dev/null && echo running || echo gone))"
  [ "$CODE" = "$want" ] || fail "$1 $2 ${3:0:80}: got $CODE ($BODY), want $want"
}
# page_port ERRFILE: waits (60 s: a loaded machine) for mimic to print its
# labeling page's address in ERRFILE and sets PORT.
page_port() {
  for _ in $(seq 1200); do grep -q "labeling page: http" "$1" && break; sleep 0.05; done
  PORT=$(sed -n 's/.*labeling page: http:\/\/[^:]*:\([0-9]*\)\/.*/\1/p' "$1")
  [ -n "$PORT" ] || fail "the page was not served"
}
