"""surge.scenario: what to run — User classes, tasks, wait times, endpoint specs, file loaders.

The file loaders (`load_script`, `user_scenario`, `load_toml`) load on first use (PEP 562): a run
of a URL needs neither, and every scenario script's `import surge` stays light.
"""

from typing import TYPE_CHECKING

from surge.lazy_names import lazy_getattr as _lazy_getattr
from surge.scenario.checks import (
    body_contains,
    header,
    json_path,
    latency_under,
    status,
)
from surge.scenario.endpoint import endpoint_from_options, expectations_from_options
from surge.scenario.errors import EndpointOptionError, ScenarioError
from surge.scenario.loader import load_scenario
from surge.scenario.model import (
    OVERRIDE_KEYS,
    OptionSource,
    Scenario,
    ScenarioKind,
    endpoint_scenario,
)
from surge.scenario.protocols import (
    Check,
    HttpSession,
    Response,
    SseEvent,
    WebSocket,
    WebSocketClient,
    WsMessage,
)
from surge.scenario.spec import EndpointSpec, Expectations, JsonExpectation
from surge.scenario.user import TaskSpec, User, is_concrete_user, task, task_weight, tasks_of

if TYPE_CHECKING:
    from surge.scenario.script_loader import load_script, user_scenario
    from surge.scenario.toml_loader import load_toml
from surge.scenario.wait import (
    BetweenWait,
    ConstantPacing,
    ConstantWait,
    WaitTime,
    between,
    constant,
    constant_pacing,
    pacing_s_of,
)

__all__ = [
    "OVERRIDE_KEYS",
    "BetweenWait",
    "Check",
    "ConstantPacing",
    "ConstantWait",
    "EndpointOptionError",
    "EndpointSpec",
    "Expectations",
    "HttpSession",
    "JsonExpectation",
    "OptionSource",
    "Response",
    "Scenario",
    "ScenarioError",
    "ScenarioKind",
    "SseEvent",
    "TaskSpec",
    "User",
    "WaitTime",
    "WebSocket",
    "WebSocketClient",
    "WsMessage",
    "between",
    "body_contains",
    "constant",
    "constant_pacing",
    "endpoint_from_options",
    "endpoint_scenario",
    "expectations_from_options",
    "header",
    "is_concrete_user",
    "json_path",
    "latency_under",
    "load_scenario",
    "load_script",
    "load_toml",
    "pacing_s_of",
    "status",
    "task",
    "task_weight",
    "tasks_of",
    "user_scenario",
]

_LAZY: dict[str, str] = {
    "load_script": "surge.scenario.script_loader",
    "user_scenario": "surge.scenario.script_loader",
    "load_toml": "surge.scenario.toml_loader",
}


__getattr__ = _lazy_getattr(globals(), _LAZY)
