"""mimic.agent against `mimic agent fit/predict`: the same traces give the
same predictions, and model files go both ways."""
import json
import os
import subprocess

import pytest

import mimic

HERE = os.path.dirname(os.path.abspath(__file__))
DEMOS = os.path.join(HERE, "..", "..", "docs", "agent-mission", "demos.jsonl")
STATES = [
    {"intent": "order_status", "request": "Where is order F1207?"},
    {"intent": "complaint", "request": "It arrived broken!"},
    {"intent": "order_status", "request": "Where is order F1207?",
     "previous_actions": [{"tool": "search_orders", "arguments": {"order_id": "F1207"}}],
     "last_observation": "{\"order_id\": \"F1207\", \"status\": \"shipped\"}"},
]


def test_same_predictions_as_the_command_line(cli, tmp_path):
    out = tmp_path / "agent.mimic"
    subprocess.run([cli, "agent", "fit", "--traces", DEMOS, "-o", str(out), "--quiet"],
                   check=True)
    py = mimic.agent.fit(DEMOS)
    from_cli = mimic.agent.load(out)
    assert py.actions == from_cli.actions and "reply" in py.actions
    for state in STATES:
        want = json.loads(subprocess.run(
            [cli, "agent", "predict", "--model", str(out), "--state", json.dumps(state), "--json"],
            check=True, capture_output=True, text=True).stdout)
        got = py.predict(state)
        assert got == from_cli.predict(state)
        assert got["action"] == want["action"] and got["route"] == want["route"]
        assert got["confidence"] == pytest.approx(want["confidence"], abs=1e-9)
        assert got["arguments"] == want.get("arguments")
        assert sum(got["proba"].values()) == pytest.approx(1.0)


def test_fit_from_dicts_save_and_errors(tmp_path):
    traces = [json.loads(line) for line in open(DEMOS)]
    a = mimic.agent.fit(traces, policy="markov")
    b = mimic.agent.fit(DEMOS, policy="markov")
    assert a.predict(STATES[0]) == b.predict(STATES[0])
    a.save(tmp_path / "m.mimic")
    assert mimic.agent.load(tmp_path / "m.mimic").predict(STATES[1]) == a.predict(STATES[1])
    with pytest.raises(mimic.InvalidError):
        mimic.agent.fit(DEMOS, policy="oracle")
    with pytest.raises(mimic.Error):
        a.predict({"previous_actions": 3})
    with pytest.raises(mimic.Error):
        mimic.agent.Agent().predict(STATES[0])
