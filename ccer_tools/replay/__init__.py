"""Scenario replay for test harnesses: a readable YAML format (:mod:`.scenario`), its pure checks
(:mod:`.matching`), the engine that replays it against the running stack (:mod:`.engine`) and the
step-by-step report (:mod:`.report`). The command is ``ccer replay scenarios/*.yaml``."""

from ccer_tools.replay.engine import AmqpBus, Bus, Endpoints, Replayer, replay_scenarios
from ccer_tools.replay.report import Failure, ReplayResult
from ccer_tools.replay.scenario import Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = [
    "AmqpBus",
    "Bus",
    "Endpoints",
    "Failure",
    "ReplayResult",
    "Replayer",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "parse_scenario",
    "replay_scenarios",
]
