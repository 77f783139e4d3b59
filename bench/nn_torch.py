#!/usr/bin/python3
"""bench/nn_torch.py: mimic's Nature-CNN and GPT training steps against PyTorch's.

Usage: /usr/bin/python3 bench/nn_torch.py build/bench/nn [rounds]

Builds the networks bench/nn times, with the same shapes, in PyTorch
(Debian's python3-torch, one thread: torch's own and, through
OPENBLAS_NUM_THREADS, the OpenBLAS it multiplies with; it refuses to run
otherwise), and alternates rounds of `bench/nn --only models` with PyTorch
timings in the same process tree, so both see the same machine load. Each PyTorch figure is the median of 7
timed runs of ~0.25 s after a warm-up, as bench/nn's are; the result is
the median over rounds of each side and of the per-round ratio (with its
range). Every figure comes twice: per second of wall time and per second
of process CPU time (*_cpu); on a shared machine the wall clock also counts
the time other processes hold the core, so the CPU-time figures are the
steadier comparison. Prints one JSON object. Target: mimic >= 2x
PyTorch's samples/s on both.

  Nature-CNN: SB3's NatureCNN (conv 32 8x8/4, 64 4x4/2, 64 3x3/1, ReLUs,
  flatten, Linear 3136->512, ReLU) + Linear 512->6 on 84x84x4, batch 32;
  step = zero_grad, forward, cross-entropy, backward (the input needs no
  gradient), Adam.
  GPT: 4 pre-LN GPT-2 blocks, C = 128, 4 heads, vocabulary 256, sequence
  64, batch 16, GELU tanh, untied bias-free head; step = zero_grad,
  forward, cross-entropy, backward, AdamW.
"""
import ctypes
import json
import math
import os
import statistics
import subprocess
import sys
import time

# Debian's torch multiplies through OpenBLAS (libblas.so.3, and
# libopenblas.so.0 beside it), whose thread pool torch.set_num_threads
# does not reach: without this, PyTorch's products ran on two threads.
# It must be set before torch loads OpenBLAS.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import torch  # noqa: E402
import torch.nn as nn
import torch.nn.functional as F

RUNS = 7


class Block(nn.Module):
    def __init__(self, C, nh, T):
        super().__init__()
        self.nh = nh
        self.ln_1 = nn.LayerNorm(C)
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.ln_2 = nn.LayerNorm(C)
        self.c_fc = nn.Linear(C, 4 * C)
        self.mlp_proj = nn.Linear(4 * C, C)
        self.register_buffer("mask", torch.tril(torch.ones(T, T)).view(1, 1, T, T))

    def attn(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.nh, C // self.nh).transpose(1, 2)
        k = k.view(B, T, self.nh, C // self.nh).transpose(1, 2)
        v = v.view(B, T, self.nh, C // self.nh).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, V, T, L, C, nh):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(T, C)
        self.h = nn.ModuleList([Block(C, nh, T) for _ in range(L)])
        self.ln_f = nn.LayerNorm(C)
        self.lm_head = nn.Linear(C, V, bias=False)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.h:
            x = b(x)
        return self.lm_head(self.ln_f(x))


def nature_cnn():
    return nn.Sequential(
        nn.Conv2d(4, 32, 8, 4), nn.ReLU(), nn.Conv2d(32, 64, 4, 2), nn.ReLU(),
        nn.Conv2d(64, 64, 3, 1), nn.ReLU(), nn.Flatten(), nn.Linear(3136, 512), nn.ReLU(),
        nn.Linear(512, 6))


def timed(step, batch):
    """Median samples/s of wall time and of process CPU time over RUNS runs
    of ~0.25 s after a ~0.2 s warm-up."""
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 0.2 or n < 2:
        step()
        n += 1
    per_run = int(n * 0.25 / (time.perf_counter() - t0)) + 1
    rates, cpu_rates = [], []
    for _ in range(RUNS):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(per_run):
            step()
        rates.append(per_run * batch / (time.perf_counter() - t))
        cpu_rates.append(per_run * batch / (time.process_time() - c))
    return statistics.median(rates), statistics.median(cpu_rates)


def torch_round():
    torch.manual_seed(0)
    cnn = nature_cnn()
    opt = torch.optim.Adam(cnn.parameters(), lr=1e-3)
    x = torch.rand(32, 4, 84, 84)
    y = torch.randint(0, 6, (32,))

    def cnn_step():
        opt.zero_grad()
        F.cross_entropy(cnn(x), y).backward()
        opt.step()

    gpt = GPT(256, 64, 4, 128, 4)
    gopt = torch.optim.AdamW(gpt.parameters(), lr=1e-3)
    idx = torch.randint(0, 256, (16, 64))
    tg = torch.randint(0, 256, (16, 64))

    def gpt_step():
        gopt.zero_grad()
        F.cross_entropy(gpt(idx).view(-1, 256), tg.view(-1)).backward()
        gopt.step()

    return timed(cnn_step, 32), timed(gpt_step, 16)


def openblas_threads():
    """Thread counts of the OpenBLAS copies loaded in this process (after torch)."""
    out = {}
    for name in ("libblas.so.3", "libopenblas.so.0"):
        try:
            out[name] = ctypes.CDLL(name).openblas_get_num_threads()
        except (OSError, AttributeError):
            out[name] = None
    return out


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    rounds = int(sys.argv[2]) if len(sys.argv) == 3 else 3
    torch.set_num_threads(1)
    blas_threads = openblas_threads()
    if any(n not in (None, 1) for n in blas_threads.values()):
        sys.exit("nn_torch.py: OpenBLAS runs %s threads in this process, not 1" % blas_threads)
    rows = []
    for _ in range(rounds):
        out = subprocess.run([sys.argv[1], "--only", "models"], check=True, capture_output=True,
                             text=True).stdout
        m = json.loads(out)
        mc, mg = (e["samples_per_s"] for e in m["models"])
        fc, fg = (e["fraction_of_peak"] for e in m["models"])
        mcc, mgc = (e["samples_per_cpu_s"] for e in m["models"])
        fcc, fgc = (e["fraction_of_peak_cpu"] for e in m["models"])
        (tc, tcc), (tg, tgc) = torch_round()
        rows.append({"mimic_cnn": mc, "torch_cnn": tc, "mimic_gpt": mg, "torch_gpt": tg,
                     "mimic_cnn_fraction_of_peak": fc, "mimic_gpt_fraction_of_peak": fg,
                     "sgemm_peak_gflops": m["sgemm_peak_gflops"],
                     "mimic_cnn_cpu": mcc, "torch_cnn_cpu": tcc, "mimic_gpt_cpu": mgc,
                     "torch_gpt_cpu": tgc, "mimic_cnn_fraction_of_peak_cpu": fcc,
                     "mimic_gpt_fraction_of_peak_cpu": fgc,
                     "sgemm_peak_cpu_gflops": m["sgemm_peak_cpu_gflops"]})
    med = lambda k: statistics.median(r[k] for r in rows)
    ratio = lambda a, b: statistics.median(r[a] / r[b] for r in rows)
    span = lambda a, b: [round(min(r[a] / r[b] for r in rows), 2),
                         round(max(r[a] / r[b] for r in rows), 2)]

    def model(key):
        # wall-clock figures, then the same per second of process CPU time
        # (torch's fraction of peak: its FLOP rate, by mimic's count of the
        # same step's useful FLOPs, over the same round's sgemm peak)
        return {
            "mimic_samples_per_s": round(med("mimic_" + key), 1),
            "torch_samples_per_s": round(med("torch_" + key), 1),
            "speedup": round(ratio("mimic_" + key, "torch_" + key), 2),
            "speedup_range": span("mimic_" + key, "torch_" + key),
            "mimic_fraction_of_peak": round(med("mimic_%s_fraction_of_peak" % key), 3),
            "mimic_samples_per_cpu_s": round(med("mimic_%s_cpu" % key), 1),
            "torch_samples_per_cpu_s": round(med("torch_%s_cpu" % key), 1),
            "speedup_cpu": round(ratio("mimic_%s_cpu" % key, "torch_%s_cpu" % key), 2),
            "speedup_cpu_range": span("mimic_%s_cpu" % key, "torch_%s_cpu" % key),
            "mimic_fraction_of_peak_cpu": round(med("mimic_%s_fraction_of_peak_cpu" % key), 3),
            "torch_fraction_of_peak_cpu": round(statistics.median(
                r["mimic_%s_fraction_of_peak_cpu" % key] * r["torch_%s_cpu" % key] /
                r["mimic_%s_cpu" % key] for r in rows), 3)}
    res = {
        "benchmark": "nn_torch",
        "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
        "torch_openblas_threads": blas_threads, "rounds": rounds,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "(auto)"),
        "nature_cnn_84x84x4_b32": model("cnn"),
        "gpt_L4_C128_T64_b16": model("gpt"),
        "sgemm_peak_gflops": round(med("sgemm_peak_gflops"), 1),
        "sgemm_peak_cpu_gflops": round(med("sgemm_peak_cpu_gflops"), 1),
        "target_speedup": 2.0,
        "rows": rows,
    }
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
