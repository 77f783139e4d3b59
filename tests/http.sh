# http METHOD PATH [BODY]: one request to 127.0.0.1:$PORT over bash's
# /dev/tcp (a bare machine has no curl); sets CODE and BODY. Sourced by
# the tests that talk to `mimic agent serve`.
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
