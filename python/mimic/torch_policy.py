"""Policy.to_torch: a mimic network as a torch.nn.Module.

The actor is a torch.nn.Sequential loaded from Policy.state_dict(); the
observation normalisation runs first, in float32 and in mimic's order
((obs - mean) * scale, then the clip), so the module's argmax actions are
mimic's."""
import numpy as np
import torch
from torch import nn


class TorchPolicy(nn.Module):
    """obs -> the actor's output (logits or mean); act() gives the actions mimic gives."""

    def __init__(self, net, head, mean, scale, clip, low=None, high=None, log_std=None,
                 squash=False):
        super().__init__()
        self.net = net
        self.head = head
        self.squash = squash
        self.register_buffer("obs_mean", mean)
        self.register_buffer("obs_scale", scale)
        self.clip = clip
        self.register_buffer("low", low)
        self.register_buffer("high", high)
        self.log_std = None if log_std is None else nn.Parameter(log_std)

    def forward(self, obs):
        x = obs.to(torch.float32)
        if self.obs_mean is not None:
            x = (x - self.obs_mean) * self.obs_scale
            if self.clip > 0:
                x = torch.clamp(x, -self.clip, self.clip)
        return self.net(x)

    @torch.no_grad()
    def act(self, obs):
        out = self.forward(torch.as_tensor(np.asarray(obs, dtype=np.float32)))
        if self.head == "categorical":
            return torch.argmax(out, dim=-1)
        if self.squash:  # SAC, TD3 and the offline actors: tanh, scaled to the bounds
            out = self.low + 0.5 * (torch.tanh(out) + 1.0) * (self.high - self.low)
        return torch.clamp(out, self.low, self.high)


def to_torch(policy):
    info = policy._info()
    if not info["is_network"]:
        raise ValueError(f"{info['description']} is not a network")
    if "trunk" in info:
        raise ValueError(f"{info['description']} has a {info['trunk']} trunk; only MLP policies "
                         "convert to torch yet")
    layers = []
    act = {"tanh": nn.Tanh, "relu": nn.ReLU}[info["activation"]]
    for l, (w, b) in enumerate(info["layers"]):
        layers.append(nn.Linear(w.shape[1], w.shape[0]))
        if l + 1 < len(info["layers"]):
            layers.append(act())
    net = nn.Sequential(*layers)
    net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in policy.state_dict().items()})
    norm = info["obs_norm"]
    mean = scale = None
    clip = 0.0
    if norm is not None:
        mean = torch.from_numpy(np.array(norm["mean"]))
        scale = torch.from_numpy(np.array(norm["scale"]))
        clip = float(np.float32(norm["clip"]))
    low = high = None
    space = info["action_space"]
    if space[0] == "box":
        low = torch.tensor(space[2], dtype=torch.float32)
        high = torch.tensor(space[3], dtype=torch.float32)
    log_std = None if info["log_std"] is None else torch.from_numpy(np.array(info["log_std"]))
    return TorchPolicy(net, info["head"], mean, scale, clip, low, high, log_std,
                       info.get("squash", False)).eval()
