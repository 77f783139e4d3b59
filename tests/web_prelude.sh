# The web API tests' common start, sourced with MIMIC set: the HTTP helpers
# (http.sh), a scratch folder T removed at exit with the mimic whose pid is
# in PID killed, and fail, which shows the end of mimic's log (T/err).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) # the tests folder
. "$here/http.sh"
T=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$T/err" ] && tail -40 "$T/err" >&2; exit 1; }
