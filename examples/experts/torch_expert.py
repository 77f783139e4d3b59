#!/usr/bin/python3
"""A PyTorch (or Stable-Baselines3) policy as mimic's expert, answering
whole batches of states with one forward pass (docs/expert-protocol.md).

    mimic train dagger --env CartPole-v1 -o clone.mimic \\
        --expert "cmd:/usr/bin/python3 examples/experts/torch_expert.py"
    mimic eval --env CartPole-v1 --policy "cmd:/usr/bin/python3 examples/experts/torch_expert.py"

With --sb3 MODEL.zip (and stable_baselines3 importable) the expert is that
model's predict(obs, deterministic=True); with --torch FILE, a TorchScript
module mapping a float32 batch of observations to action logits (discrete)
or actions (continuous); with neither, a small built-in torch policy for
CartPole-v1 (a linear layer on the pole's angle and angular velocity), so
the example runs anywhere python3-torch does.

The protocol in brief: the first request holds one state and "protocol": 2;
answering it with "protocol": 2 and "max_batch" makes mimic send every later
request as a batch, {"batch": [{"observation": [...]}, ...]}, answered with
{"actions": [...]} in the same order. Replies go to stdout, one line each,
flushed; anything else (logs, warnings) must go to stderr.
"""
import argparse
import json
import sys

import numpy as np
import torch

MAX_BATCH = 1024  # what this program takes in one message


def builtin_cartpole_policy():
    """Logits of CartPole's two actions: push right when the pole falls right."""
    net = torch.nn.Linear(4, 2, bias=False)
    with torch.no_grad():
        net.weight.zero_()
        net.weight[1] = torch.tensor([0.0, 0.01, 1.0, 0.3])
    return net


def make_predict(args):
    """A function from a (B, obs_dim) float32 array to B actions."""
    if args.sb3:
        import stable_baselines3 as sb3

        model = getattr(sb3, args.sb3_algo).load(args.sb3)
        return lambda obs: model.predict(obs, deterministic=True)[0]
    net = torch.jit.load(args.torch) if args.torch else builtin_cartpole_policy()
    net.eval()
    discrete = not args.continuous

    def predict(obs):
        with torch.no_grad():
            out = net(torch.from_numpy(obs))
        return out.argmax(dim=1).numpy() if discrete else out.numpy()

    return predict


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sb3", help="a Stable-Baselines3 model file")
    ap.add_argument("--sb3-algo", default="PPO", help="its class (PPO, SAC, DQN, ...)")
    ap.add_argument("--torch", help="a TorchScript module file")
    ap.add_argument("--continuous", action="store_true", help="the module outputs actions")
    args = ap.parse_args()
    torch.set_num_threads(1)  # mimic runs beside it; one thread answers small batches fastest
    predict = make_predict(args)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        states = req["batch"] if "batch" in req else [req]
        obs = np.asarray([s["observation"] for s in states], dtype=np.float32)
        actions = np.asarray(predict(obs)).tolist()
        if "batch" in req:
            reply = {"id": req["id"], "actions": actions}
        else:  # the first request: one state, and the greeting
            reply = {"id": req["id"], "action": actions[0]}
            if req.get("protocol", 1) >= 2:
                reply.update(protocol=2, max_batch=MAX_BATCH)
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
