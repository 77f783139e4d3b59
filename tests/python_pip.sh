#!/usr/bin/env bash
# The Python package installs as README.md says: Debian's pip, in a virtual
# environment that sees the system's NumPy, with no network (--no-index),
# against this build's libmimic; the installed module then steps an
# environment and trains nothing it should not.
set -euo pipefail
src=${MIMIC_SOURCE_DIR:?}
build=${MIMIC_BUILD_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 -m venv --system-site-packages "$tmp/venv"
# a copy, so the build's files (python/build, *.egg-info) stay out of the checkout
cp -r "$src/python" "$tmp/python"
rm -rf "$tmp/python/build" "$tmp/python/"*.egg-info
MIMIC_BUILD_DIR=$build "$tmp/venv/bin/pip" install -q --no-build-isolation --no-index \
  "$tmp/python"
cd "$tmp"
"$tmp/venv/bin/python" - <<'PY'
import mimic, numpy as np
assert mimic.__file__.startswith(__import__("sys").prefix), mimic.__file__
env = mimic.make("CartPole-v1")
obs, _ = env.reset(seed=0)
np.testing.assert_allclose(obs, [0.01369617, -0.02302133, -0.04590265, -0.04834723], atol=1e-7)
total, done = 0.0, False
while not done:
    _, r, te, tr, _ = env.step(env.expert_action())
    total, done = total + r, te or tr
assert total == 500.0, total
print("python_pip: installed mimic steps CartPole-v1:", total)
PY
