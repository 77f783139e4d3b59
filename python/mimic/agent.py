"""mimic.agent: clone which tool an LLM agent calls next (docs/agents.md).

    agent = mimic.agent.fit("traces.jsonl")          # any trace format mimic reads
    agent.predict({"intent": "order_status", "request": "Where is order F1207?"})
    # {'action': 'search_orders', 'confidence': 0.79, 'route': 'act',
    #  'arguments': {'order_id': 'F1207'}, 'proba': {...}}
    agent.save("agent.mimic"); mimic.agent.load("agent.mimic")

fit takes `mimic agent fit`'s settings (policy, C, threshold, markov_k,
prev_k, trees, features, model, max_observation, keep_demos); traces are a
file or a list of trace dicts (mimic's format, one per JSON Lines record).
A state is what `mimic agent predict --state` takes.
"""
import json
import os
import tempfile

from . import _mimic


class Agent(_mimic.AgentModel):
    """A fitted agent policy: predict(state) -> action, confidence, route, probabilities."""

    @property
    def actions(self):
        return self._info()["actions"]

    @property
    def threshold(self):
        return self._info()["threshold"]

    def predict(self, state, fallback="fallback"):
        """The next move of state (a dict); route is "act" when confidence >= threshold."""
        action, confidence, proba, args = self._predict(json.dumps(state))
        route = "act" if action is not None and confidence >= self.threshold else fallback
        return {"action": action, "confidence": confidence, "route": route, "proba": proba,
                "arguments": None if args is None else json.loads(args)}

    def save(self, path):
        self._save(str(path))

    def __repr__(self):
        info = self._info()
        return f"<mimic.agent.Agent {info['policy']}: {len(info['actions'])} actions>"


def fit(traces, format="auto", **config):
    """Fits an agent policy on traces (a path, or a list of trace dicts in mimic's format)."""
    agent = Agent()
    if isinstance(traces, (str, os.PathLike)):
        agent.problems = agent._fit(str(traces), format=format, **config)
        return agent
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for t in traces:
            f.write(json.dumps(t) + "\n")
    try:
        agent.problems = agent._fit(f.name, format="mimic", **config)
    finally:
        os.unlink(f.name)
    return agent


def load(path):
    """An agent policy from its model file (`mimic agent fit` writes them too)."""
    agent = Agent()
    agent._load(str(path))
    return agent
