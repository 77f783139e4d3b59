# The web API tests' common start, sourced with MIMIC set: the HTTP helpers
# (http.sh), a scratch folder T removed at exit with the mimic whose pid is
# in PID killed, and fail, which shows the end of mimic's log (T/err).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) # the tests folder
. "$here/http.sh"
T=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$T/err" ] && tail -40 "$T/err" >&2; exit 1; }
# text_fixtures N: T/seed.csv (two intents, two examples each) and T/pool.csv
# with the first N of six unlabeled requests, for `text dagger --expert web`.
text_fixtures() {
  printf '%s\n' text,category "my card has not arrived yet,card_arrival" \
    "when will my new card come,card_arrival" "I want my money back for this purchase,refund" \
    "please refund the last payment,refund" >"$T/seed.csv"
  printf '%s\n' id,text "a1,the card still has not been delivered" \
    "b1,I need a refund for an order" "c1,where is my card" "d1,money back please" \
    "e1,my card is late" "f1,refund my fee" | head -n $(($1 + 1)) >"$T/pool.csv"
}
