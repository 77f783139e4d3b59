#!/usr/bin/python3
"""bench/offline_torch.py: mimic's TD3+BC and IQL updates against PyTorch's.

Usage: /usr/bin/python3 bench/offline_torch.py build/bench/offline [rounds]

Re-creates the gradient update bench/offline times, with the same shapes,
in PyTorch (Debian's python3-torch, one thread): d3rlpy's (256, 256) ReLU
networks, Pendulum-v1's sizes (observation 3, action 1), batch 256, Adam
lr 3e-4, twin critics, Polyak targets (tau 0.005). Rounds of
`bench/offline` alternate with the PyTorch timings in the same process
tree, so both see the same machine load. Each PyTorch figure is the median
of 5 runs of 200 updates after 20 warm-up updates, CPU time of this process
(bench/offline's method). The result is the median over rounds of each
side and of the per-round ratio; one JSON object. The issue's target:
mimic >= 5x PyTorch's updates per second.

  TD3+BC: target smoothing N(0, 0.2) clipped to 0.5, critic loss the sum
  of the two MSEs, actor and targets every 2 updates, actor loss
  -2.5 / mean|Q1| * mean Q1(s, pi(s)) + mean (pi(s) - a)^2.
  IQL: Q towards r + gamma (1 - done) V(s'), V by expectile 0.7 on
  min Q'(s, a) (one Adam over Q1, Q2, V), actor by advantage-weighted
  log-likelihood (weights min(exp(3 (Q - V)), 100)) of N(tanh(mu(s)),
  exp(log_std)), log_std clamped to [-5, 2].
"""
import json
import os
import statistics
import subprocess
import sys
import time

# One OpenBLAS thread: Debian's torch multiplies through OpenBLAS, whose
# pool torch.set_num_threads does not reach (bench/nn_torch.py says more).
# It must be set before torch loads OpenBLAS.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import torch  # noqa: E402
import torch.nn as nn
import torch.nn.functional as F

from nn_torch import openblas_threads  # noqa: E402

D, A, B, H = 3, 1, 256, 256
RUNS, UPDATES = 5, 200
GAMMA, TAU = 0.99, 0.005


def mlp(i, o):
    return nn.Sequential(nn.Linear(i, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), nn.Linear(H, o))


def polyak(targ, src):
    with torch.no_grad():
        for t, p in zip(targ.parameters(), src.parameters()):
            t.mul_(1 - TAU).add_(p, alpha=TAU)


def copy(net):
    c = mlp(net[0].in_features, net[-1].out_features)
    c.load_state_dict(net.state_dict())
    return c


class TD3BC:
    def __init__(self):
        self.actor = mlp(D, A)
        self.q1, self.q2 = mlp(D + A, 1), mlp(D + A, 1)
        self.actor_t, self.q1_t, self.q2_t = copy(self.actor), copy(self.q1), copy(self.q2)
        self.a_opt = torch.optim.Adam(self.actor.parameters(), lr=3e-4)
        self.c_opt = torch.optim.Adam(list(self.q1.parameters()) + list(self.q2.parameters()), lr=3e-4)
        self.n = 0

    def update(self, s, a, r, s2, d):
        with torch.no_grad():
            noise = (torch.randn_like(a) * 0.2).clamp(-0.5, 0.5)
            a2 = (torch.tanh(self.actor_t(s2)) + noise).clamp(-1, 1)
            sa2 = torch.cat([s2, a2], 1)
            y = r + GAMMA * (1 - d) * torch.min(self.q1_t(sa2), self.q2_t(sa2))
        sa = torch.cat([s, a], 1)
        loss = F.mse_loss(self.q1(sa), y) + F.mse_loss(self.q2(sa), y)
        self.c_opt.zero_grad()
        loss.backward()
        self.c_opt.step()
        self.n += 1
        if self.n % 2:
            return
        pi = torch.tanh(self.actor(s))
        q = self.q1(torch.cat([s, pi], 1))
        lmbda = 2.5 / q.abs().mean().detach()
        a_loss = -lmbda * q.mean() + F.mse_loss(pi, a)
        self.a_opt.zero_grad()
        a_loss.backward()
        self.a_opt.step()
        polyak(self.q1_t, self.q1)
        polyak(self.q2_t, self.q2)
        polyak(self.actor_t, self.actor)


class IQL:
    def __init__(self):
        self.actor = mlp(D, A)
        self.log_std = nn.Parameter(torch.zeros(A))
        self.q1, self.q2, self.v = mlp(D + A, 1), mlp(D + A, 1), mlp(D, 1)
        self.q1_t, self.q2_t = copy(self.q1), copy(self.q2)
        self.a_opt = torch.optim.Adam(list(self.actor.parameters()) + [self.log_std], lr=3e-4)
        self.c_opt = torch.optim.Adam(
            list(self.q1.parameters()) + list(self.q2.parameters()) + list(self.v.parameters()),
            lr=3e-4)

    def update(self, s, a, r, s2, d):
        sa = torch.cat([s, a], 1)
        with torch.no_grad():
            y = r + GAMMA * (1 - d) * self.v(s2)
            q_t = torch.min(self.q1_t(sa), self.q2_t(sa))
        q_loss = F.mse_loss(self.q1(sa), y) + F.mse_loss(self.q2(sa), y)
        u = q_t - self.v(s)
        w = torch.where(u > 0, 0.7, 0.3)
        v_loss = (w * u * u).mean()
        self.c_opt.zero_grad()
        (q_loss + v_loss).backward()
        self.c_opt.step()
        with torch.no_grad():
            adv_w = torch.exp(3.0 * (q_t - self.v(s))).clamp(max=100.0)
        dist = torch.distributions.Normal(torch.tanh(self.actor(s)), self.log_std.clamp(-5, 2).exp())
        a_loss = -(adv_w * dist.log_prob(a).sum(1, keepdim=True)).mean()
        self.a_opt.zero_grad()
        a_loss.backward()
        self.a_opt.step()
        polyak(self.q1_t, self.q1)
        polyak(self.q2_t, self.q2)


def rate(cls):
    g = torch.Generator().manual_seed(0)
    N = 10000
    obs = torch.randn(N, D, generator=g)
    act = torch.rand(N, A, generator=g) * 2 - 1
    rew = torch.randn(N, 1, generator=g)
    nxt = torch.randn(N, D, generator=g)
    done = torch.zeros(N, 1)
    v = []
    for run in range(RUNS):
        torch.manual_seed(run)
        learner = cls()

        def step():
            i = torch.randint(0, N, (B,))
            learner.update(obs[i], act[i], rew[i], nxt[i], done[i])

        for _ in range(UPDATES // 10):
            step()
        t0 = time.process_time()
        for _ in range(UPDATES):
            step()
        v.append(UPDATES / (time.process_time() - t0))
    return statistics.median(v)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: bench/offline_torch.py build/bench/offline [rounds]")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    torch.set_num_threads(1)
    blas_threads = openblas_threads()
    if any(n not in (None, 1) for n in blas_threads.values()):
        sys.exit("offline_torch.py: OpenBLAS runs %s threads in this process, not 1" % blas_threads)
    rows = []
    for _ in range(rounds):
        out = subprocess.run([sys.argv[1], "td3bc", "iql"], check=True, capture_output=True, text=True).stdout
        m = json.loads(out.strip().splitlines()[-1])
        rows.append({"mimic_td3bc": m["td3bc_updates_per_s"], "mimic_iql": m["iql_updates_per_s"],
                     "torch_td3bc": rate(TD3BC), "torch_iql": rate(IQL)})
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    ratio = {a: statistics.median(r["mimic_" + a] / r["torch_" + a] for r in rows)
             for a in ("td3bc", "iql")}
    print(json.dumps({"network": [H, H], "batch": B, "rounds": rounds, "torch": torch.__version__,
                      "torch_threads": torch.get_num_threads(),
                      "td3bc_updates_per_s": {"mimic": med["mimic_td3bc"], "torch": med["torch_td3bc"],
                                              "ratio": round(ratio["td3bc"], 3)},
                      "iql_updates_per_s": {"mimic": med["mimic_iql"], "torch": med["torch_iql"],
                                            "ratio": round(ratio["iql"], 3)},
                      "target_ratio": 5.0, "per_round": rows}))


if __name__ == "__main__":
    main()
