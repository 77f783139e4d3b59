#!/usr/bin/python3
"""bench/dt_torch.py: mimic's Decision Transformer against PyTorch's.

Usage: /usr/bin/python3 bench/dt_torch.py build/bench/dt [rounds]

1. Correctness: `bench/dt --dump FILE` writes a network's parameters, a
   batch, mimic's predictions and the gradient of sum(w * out); the same
   network is built here in PyTorch (Debian's python3-torch) from those
   parameters, and the largest differences of the predictions and of every
   gradient are reported (float32 on both sides).
2. Speed: rounds of `bench/dt` alternate with PyTorch timings of the same
   training step (the paper's gym settings: K = 20, 3 blocks, C = 128, one
   head, batch 64, 11 state values, 3 actions; zero_grad, forward, MSE,
   backward, clip_grad_norm_(0.25), AdamW), one thread each, so both see
   the same machine load; each figure is the median of 7 timed runs of
   ~0.5 s. Prints one JSON object.

The dump's layout: int32 S, A, max_ep_len, K, n_layer, n_head, C, B,
n_params; float32 params (mimic's order, src/nn/dt_net.h), states (B,K,S),
actions (B,K,A), rtg (B,K); int32 timesteps (B,K); float32 w (B,K,A), out
(B,K,A), grads (n_params).
"""
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nn_torch import Block  # noqa: E402  (nanoGPT's block, GELU tanh)

RUNS = 7


class DT(nn.Module):
    """Chen et al.'s DecisionTransformer for continuous actions, without dropout."""

    def __init__(self, S, A, max_ep_len, K, L, nh, C):
        super().__init__()
        self.C = C
        self.embed_return = nn.Linear(1, C)
        self.embed_state = nn.Linear(S, C)
        self.embed_action = nn.Linear(A, C)
        self.embed_timestep = nn.Embedding(max_ep_len, C)
        self.embed_ln = nn.LayerNorm(C)
        self.h = nn.ModuleList([Block(C, nh, 3 * K) for _ in range(L)])
        self.ln_f = nn.LayerNorm(C)
        self.predict_action = nn.Linear(C, A)

    def forward(self, states, actions, rtg, timesteps):
        B, K = rtg.shape
        te = self.embed_timestep(timesteps)
        r = self.embed_return(rtg.unsqueeze(-1)) + te
        s = self.embed_state(states) + te
        a = self.embed_action(actions) + te
        x = torch.stack([r, s, a], dim=2).reshape(B, 3 * K, self.C)
        x = self.embed_ln(x)
        for b in self.h:
            x = b(x)
        x = self.ln_f(x).reshape(B, K, 3, self.C)[:, :, 1]
        return torch.tanh(self.predict_action(x))

    def mimic_order(self):
        """The parameters in mimic's order, each with mimic's shape."""
        out = [self.embed_return.weight, self.embed_return.bias, self.embed_state.weight,
               self.embed_state.bias, self.embed_action.weight, self.embed_action.bias,
               self.embed_timestep.weight, self.embed_ln.weight, self.embed_ln.bias]
        for b in self.h:
            out += [b.ln_1.weight, b.ln_1.bias, b.c_attn.weight, b.c_attn.bias, b.c_proj.weight,
                    b.c_proj.bias, b.ln_2.weight, b.ln_2.bias, b.c_fc.weight, b.c_fc.bias,
                    b.mlp_proj.weight, b.mlp_proj.bias]
        return out + [self.ln_f.weight, self.ln_f.bias, self.predict_action.weight,
                      self.predict_action.bias]


def check(bench):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "dt.dump")
        subprocess.run([bench, "--dump", path], check=True)
        raw = open(path, "rb").read()
    hdr = np.frombuffer(raw, np.int32, 9)
    S, A, M, K, L, nh, C, B, n = (int(v) for v in hdr)
    off = 36

    def take(count, dtype=np.float32):
        nonlocal off
        v = np.frombuffer(raw, dtype, count, off)
        off += 4 * count
        return v

    params = take(n)
    states, actions, rtg = take(B * K * S), take(B * K * A), take(B * K)
    ts, w, out, grads = take(B * K, np.int32), take(B * K * A), take(B * K * A), take(n)
    m = DT(S, A, M, K, L, nh, C)
    ps, i = m.mimic_order(), 0
    assert sum(p.numel() for p in ps) == n, "parameter count differs from mimic's"
    with torch.no_grad():
        for p in ps:
            p.copy_(torch.from_numpy(params[i:i + p.numel()].copy()).view_as(p))
            i += p.numel()
    y = m(torch.from_numpy(states.copy()).view(B, K, S),
          torch.from_numpy(actions.copy()).view(B, K, A),
          torch.from_numpy(rtg.copy()).view(B, K), torch.from_numpy(ts.astype(np.int64)).view(B, K))
    (y * torch.from_numpy(w.copy()).view(B, K, A)).sum().backward()
    g = torch.cat([p.grad.reshape(-1) for p in ps]).numpy()
    err_out = float(np.abs(y.detach().numpy().reshape(-1) - out).max())
    err_g = float(np.abs(g - grads).max())
    scale_g = float(np.abs(g).max())
    return {"max_abs_diff_out": err_out, "max_abs_diff_grad": err_g, "max_abs_grad": scale_g,
            "match": bool(err_out < 1e-4 and err_g < 1e-4 * max(1.0, scale_g))}


def torch_step_rate():
    torch.manual_seed(0)
    S, A, K, B = 11, 3, 20, 64
    m = DT(S, A, 1000, K, 3, 1, 128)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=1e-4)
    s, a = torch.randn(B, K, S), torch.rand(B, K, A) * 2 - 1
    r, t = torch.randn(B, K), torch.randint(0, 1000, (B, K))

    def step():
        opt.zero_grad()
        F.mse_loss(m(s, a, r, t), a).backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 0.25)
        opt.step()

    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 0.5 or n < 2:
        step()
        n += 1
    per_run = int(n * 0.5 / (time.perf_counter() - t0)) + 1
    rates = []
    for _ in range(RUNS):
        t1 = time.perf_counter()
        for _ in range(per_run):
            step()
        rates.append(per_run / (time.perf_counter() - t1))
    return statistics.median(rates)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    rounds = int(sys.argv[2]) if len(sys.argv) == 3 else 3
    torch.set_num_threads(1)
    res = {"benchmark": "dt_torch", "torch": torch.__version__, "rounds": rounds,
           "check": check(sys.argv[1])}
    rows = []
    for _ in range(rounds):
        mo = json.loads(subprocess.run([sys.argv[1]], check=True, capture_output=True,
                                       text=True).stdout)
        rows.append({"mimic_steps_per_s": mo["steps_per_s"], "torch_steps_per_s": torch_step_rate()})
    med = lambda k: statistics.median(r[k] for r in rows)
    res.update({
        "config": "K=20 (60 tokens), 3 blocks, C=128, 1 head, batch 64, S=11, A=3; one thread",
        "mimic_steps_per_s": round(med("mimic_steps_per_s"), 2),
        "torch_steps_per_s": round(med("torch_steps_per_s"), 2),
        "speedup": round(statistics.median(r["mimic_steps_per_s"] / r["torch_steps_per_s"]
                                           for r in rows), 2),
        "rows": rows})
    print(json.dumps(res, indent=2))
    if not res["check"]["match"]:
        sys.exit("bench/dt_torch.py: mimic's Decision Transformer differs from PyTorch's")


if __name__ == "__main__":
    main()
