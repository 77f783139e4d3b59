#!/usr/bin/python3
"""model_diff.py A B: the largest absolute difference between two model
files' float arrays (docs/model-file.md), for tests that compare a run on
several MPI ranks with one process's.

Both files must hold the same arrays (names, dtypes, counts). Prints one
line: the largest difference, the array where it is, then each float
array's own: `1.19e-07 params (params 1.19e-07, obs_mean 0, ...)`. Exit
0; 2 when the files cannot be compared (named in the message)."""
import json
import math
import struct
import sys

SIZES = {"<f4": 4, "<f8": 8, "<i4": 4, "<i8": 8, "|u1": 1, "<u1": 1, "u1": 1}
FLOATS = {"<f4": "<%df", "<f8": "<%dd"}


def arrays(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"MIMICMDL":
        sys.exit(f"model_diff: {path} is not a mimic model file")
    (hlen,) = struct.unpack_from("<I", data, 12)
    header = json.loads(data[16 : 16 + hlen])
    off, out = 16 + hlen, {}
    for a in header["arrays"]:
        off = (off + 7) // 8 * 8
        size = SIZES.get(a["dtype"])
        if size is None:
            sys.exit(f"model_diff: {path}: array {a['name']} has dtype {a['dtype']}")
        n = a["count"]
        if a["dtype"] in FLOATS:
            out[a["name"]] = (a["dtype"], struct.unpack_from(FLOATS[a["dtype"]] % n, data, off))
        else:
            out[a["name"]] = (a["dtype"], data[off : off + n * size])
        off += n * size
    return out


def gap(x, y):
    """|x - y|; NaN against NaN is no gap, NaN against a number an infinite one."""
    if math.isnan(x) or math.isnan(y):
        return 0.0 if math.isnan(x) and math.isnan(y) else math.inf
    return abs(x - y)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: model_diff.py A B")
    a, b = arrays(sys.argv[1]), arrays(sys.argv[2])
    if sorted(a) != sorted(b):
        print(f"model_diff: the files hold other arrays: {sorted(a)} and {sorted(b)}", file=sys.stderr)
        sys.exit(2)
    worst, where, each = 0.0, "-", []
    for name in a:
        (ta, va), (tb, vb) = a[name], b[name]
        if ta != tb or len(va) != len(vb):
            print(f"model_diff: array {name} differs in dtype or count", file=sys.stderr)
            sys.exit(2)
        if ta not in FLOATS:
            continue
        d = max((gap(x, y) for x, y in zip(va, vb)), default=0.0)
        each.append(f"{name} {d:.3g}")
        if where == "-" or d > worst:
            worst, where = d, name
    print(f"{worst:.3g} {where} ({', '.join(each)})")


if __name__ == "__main__":
    main()
