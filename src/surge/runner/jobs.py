"""Turning a target and a RunConfig into validated Jobs: one scenario each, with its options
resolved, its plan compiled and its thresholds parsed.

Everything here happens before any request: a bad option or file raises InputError (exit 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from surge.config import ConfigError, RunConfig
from surge.metrics import LoadModel
from surge.metrics.naming import default_name
from surge.metrics.resources import MonitoredProcess
from surge.redaction import NO_REDACTION, Redactor
from surge.runner.recipe import JobRecipe, check_cluster_options
from surge.runner.target import Mode, Target, TargetKind, classify, is_ws_url
from surge.scenario import (
    EndpointSpec,
    OptionSource,
    Scenario,
    ScenarioError,
    ScenarioKind,
    User,
    endpoint_from_options,
    endpoint_scenario,
    expectations_from_options,
    load_scenario,
)
from surge.schedule import ArrivalProcess, LoadProfile, Plan, PlanError, compile_plan
from surge.thresholds import (
    ThresholdError,
    ThresholdSpec,
    parse_thresholds,
    specs_from_entries,
    validate,
    validate_resources,
    with_defaults,
)

_URL_ONLY = ("expect_status", "expect_body", "expect_json")


class InputError(ConfigError):
    """Bad input found before any traffic: printed as one clear message, exit code 2."""


@dataclass(frozen=True, slots=True)
class Job:
    """One scenario with its options resolved, its plan compiled and its thresholds parsed."""

    scenario: Scenario
    config: RunConfig
    plan: Plan
    target: str
    name: str
    mode: Mode
    thresholds: tuple[ThresholdSpec, ...] = ()
    recipe: JobRecipe | None = None  # how a worker process rebuilds this job (--workers)
    monitored: tuple[MonitoredProcess, ...] = ()  # --monitor-pid/--monitor-process targets
    redactor: Redactor = NO_REDACTION  # the run's secrets, masked in every output


def _plan(
    config: RunConfig,
    weights: Sequence[int],
    where: str,
    shape: type | None = None,
    sources: Mapping[str, OptionSource] | None = None,
) -> Plan:
    dynamic = config.rate is not None or config.stages or shape is not None
    users = config.users if config.given("users") or not dynamic else 1
    ramp_up_s = config.ramp_up
    if config.spawn_rate and not dynamic and not config.given("ramp_up"):
        ramp_up_s = users / config.spawn_rate  # -r R: R users a second, Locust's habit
    try:
        return compile_plan(
            LoadProfile(
                users=users,
                ramp_up_s=ramp_up_s,
                duration_s=config.duration,
                requests_per_user=config.requests_per_user,
                think_time_s=config.think_time,
                rate=config.rate,
                arrivals=ArrivalProcess(config.arrivals),
                max_in_flight=config.max_in_flight,
                stages=config.stages or None,
                shape=shape,
                seed=config.seed,
            ),
            weights,
        )
    except PlanError as exc:
        source = (sources or {}).get(exc.option or "")
        if source is not None and exc.option and not config.given(exc.option):
            raise InputError(source.error(exc.detail, exc.item)) from None  # where the file set it
        raise InputError(f"{where}: {exc}" if where else str(exc)) from None


def _check_host(host: str, where: str) -> str:
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"{where}: host {host!r} is not an http(s) URL (e.g. http://127.0.0.1:8000)"
        )
    return host.rstrip("/")


def _thresholds(
    config: RunConfig, scenario: Scenario, known: set[tuple[str, str]] | None, plan: Plan
) -> tuple[ThresholdSpec, ...]:
    """`--threshold` expressions plus the scenario's own, parsed and checked (exit 2), plus the
    built-in defaults of the load model the user did not override (`dropped_rate<1%`)."""
    abort, grace_s = config.abort_on_fail, config.abort_grace
    try:
        specs = parse_thresholds(config.threshold, abort_on_fail=abort, grace_s=grace_s)
        specs += specs_from_entries(scenario.thresholds, abort_on_fail=abort, grace_s=grace_s)
        validate(specs, known)
        monitored = bool(config.monitor_pid or config.monitor_process)
        validate_resources(specs, targets_monitored=monitored)
    except ThresholdError as exc:
        raise InputError(str(exc)) from None
    return with_defaults(specs, open_model=plan.model is LoadModel.OPEN)


def _check_ws_options(config: RunConfig) -> None:
    """WebSocket URL mode sends `--message`: the HTTP request options do not apply."""
    given = [
        flag
        for flag, value in (
            ("--method", config.method.upper() != "GET"),
            ("--body", config.body is not None),
            ("--json", config.json is not None),
            ("--expect-status", bool(config.expect_status)),
            ("--expect-body", config.expect_body is not None),
            ("--expect-json", bool(config.expect_json)),
            ("--http2", config.http2),
        )
        if value
    ]
    if given:
        raise InputError(
            f"{given[0]} does not apply to a WebSocket URL: each round trip sends --message TEXT "
            "(see docs/websocket.md)"
        )


def url_job(url: str, config: RunConfig) -> Job:
    """URL mode: one endpoint from the URL and the HTTP options (a ws(s):// URL: the message
    each WebSocket round trip sends)."""
    ws = is_ws_url(url)
    if ws:
        _check_ws_options(config)
    elif config.message is not None:
        raise InputError("--message applies to WebSocket URLs (ws:// or wss://); use --body")
    try:
        endpoint = endpoint_from_options(
            url,
            method=config.method,
            headers=list(config.header),
            body=(config.message or "surge") if ws else config.body,
            json_body=config.json,
            auth_token=config.auth_token,
            name=None,
            expect_status=config.expect_status,
            expect_body=config.expect_body,
            expect_json=config.expect_json,
        )
    except (ValueError, ScenarioError) as exc:
        raise InputError(str(exc)) from None
    return _endpoint_job(endpoint_scenario(endpoint), config, Mode.URL, "")


def _endpoint_job(scenario: Scenario, config: RunConfig, mode: Mode, where: str) -> Job:
    endpoint = scenario.endpoint
    assert endpoint is not None
    if config.user_class:
        place = f"{where}: " if where else ""
        raise InputError(f"{place}--user-class picks the User classes of a scripted scenario")
    name = config.name or (
        scenario.name if mode is Mode.TOML else f"{endpoint.method} {endpoint.endpoint_name}"
    )
    if not endpoint.name:  # named like a script's request without name= (surge.metrics.naming)
        named = default_name(endpoint.url, config.name_template == "on")
        endpoint = replace(endpoint, name=named)
        scenario = replace(scenario, endpoint=endpoint)
    plan = _plan(config, (1,), where, sources=scenario.option_sources)
    known = {(endpoint.method.upper(), endpoint.endpoint_name)}
    thresholds = _thresholds(config, scenario, known, plan)
    return Job(scenario, config, plan, endpoint.url, name, mode, thresholds)


def spec_job(endpoint: EndpointSpec, config: RunConfig) -> Job:
    """An EndpointSpec given in Python: URL mode with the spec's own request."""
    if config.auth_token and config.given("auth_token"):
        endpoint = _with_token(endpoint, config.auth_token)
    return _endpoint_job(endpoint_scenario(endpoint), config, Mode.URL, "")


def _names(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(name for value in values for name in value.replace(",", " ").split() if name)


def _load(path: Path, config: RunConfig) -> tuple[Scenario, ...]:
    """The file's scenarios: a locustfile (it imports `locust`, or came with -f) through
    surge.locust, anything else through the scenario loaders."""
    if path.suffix == ".py":
        from surge.locust.check import is_locustfile

        if config.locustfile or is_locustfile(path):
            from surge.locust.loader import Selection, load_locustfile

            weighted = [name for name in _names(config.user_class) if ":" in name]
            if weighted:
                raise InputError(
                    f"{path}: --user-class {weighted[0]}: a locustfile's classes keep their own "
                    "weights (give the name alone)"
                )
            picks = Selection(
                _names(config.user_class), _names(config.tags), _names(config.exclude_tags)
            )
            return (load_locustfile(path, picks),)
    for name in ("tags", "exclude_tags"):
        if getattr(config, name):
            flag = f"--{name.replace('_', '-')}"
            raise InputError(f"{path}: {flag} applies to locustfiles (files that import locust)")
    return load_scenario(path)


def file_jobs(path: Path, config: RunConfig) -> list[Job]:
    try:
        scenarios = _load(path, config)
    except ScenarioError as exc:
        raise InputError(str(exc)) from None
    return [scenario_job(scenario, config, path) for scenario in scenarios]


def scenario_job(scenario: Scenario, config: RunConfig, source: Path | None = None) -> Job:
    """The job of one loaded scenario: a TOML endpoint table or User classes."""
    shown = source or scenario.source
    where = str(shown) if shown is not None else scenario.name
    if scenario.endpoint is not None:
        where = f"{shown} [{scenario.name}]"
    try:
        resolved = config.overridden(scenario.overrides, where)
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    if scenario.endpoint is not None:
        return _toml_job(scenario, resolved, where)
    given = [flag for flag in _URL_ONLY if config.given(flag)]
    if given:
        raise InputError(
            f"{where}: --{given[0].replace('_', '-')} applies to URL mode and TOML endpoints; "
            "in a script use response checks (see docs/thresholds.md)"
        )
    host = config.host or scenario.host
    if not host:
        raise InputError(
            f"{where}: no host to send requests to: pass --host http://HOST:PORT "
            "or set `host = ...` on a User class"
        )
    if scenario.kind is ScenarioKind.SCRIPT:  # a locustfile's loader picked its classes
        scenario = pick_classes(scenario, _names(config.user_class), where)
    plan = _plan(resolved, scenario.weights, where, scenario.shape)
    name = config.name or scenario.name
    thresholds = _thresholds(resolved, scenario, None, plan)
    target = _check_host(host, where)
    mode = Mode.SCRIPT
    if scenario.kind is ScenarioKind.LOCUST:
        mode = Mode.LOCUST
        _check_fixed_counts(scenario, plan, where)
    return Job(scenario, resolved, plan, target, name, mode, thresholds)


def _check_fixed_counts(scenario: Scenario, plan: Plan, where: str) -> None:
    fixed = getattr(scenario.locustfile, "fixed_counts", ())
    if any(fixed) and plan.model is LoadModel.OPEN:
        raise InputError(
            f"{where}: fixed_count sets a number of users, but an arrival rate (--rate, rate "
            "stages or a rate shape) has no users to count: remove fixed_count, or run users"
        )


def pick_classes(scenario: Scenario, picks: Sequence[str], where: str) -> Scenario:
    """The scenario with only the User classes `picks` names (`NAME` or `NAME:WEIGHT`), in the
    order given; InputError naming the classes there are for a name that is not one."""
    if not picks:
        return scenario
    pairs = zip(scenario.user_classes, scenario.weights, strict=True)
    known = {cls.__name__: (cls, weight) for cls, weight in pairs}
    classes: list[type[User]] = []
    weights: list[int] = []
    for pick in picks:
        name, sep, weight_text = pick.partition(":")
        name = name.strip()
        if name not in known:
            names = ", ".join(known) or "none"
            raise InputError(f"{where}: --user-class {name!r} is not a User class here ({names})")
        cls, weight = known[name]
        if cls in classes:
            raise InputError(f"{where}: --user-class {name!r} is given twice")
        if sep:
            weight_text = weight_text.strip()
            if not weight_text.isdigit() or int(weight_text) < 1:
                raise InputError(
                    f"{where}: --user-class {pick!r}: the weight must be a whole number >= 1"
                )
            weight = int(weight_text)
        classes.append(cls)
        weights.append(weight)
    return replace(scenario, user_classes=tuple(classes), weights=tuple(weights))


def _toml_job(scenario: Scenario, config: RunConfig, where: str) -> Job:
    endpoint = scenario.endpoint
    assert endpoint is not None
    endpoint = replace(endpoint, url=_retarget(endpoint.url, config, where))
    if config.auth_token and config.given("auth_token"):
        endpoint = _with_token(endpoint, config.auth_token)
    try:
        expect = expectations_from_options(
            config.expect_status, config.expect_body, config.expect_json
        )
    except (ValueError, ScenarioError) as exc:
        raise InputError(f"{where}: {exc}") from None
    scenario = replace(scenario, endpoint=replace(endpoint, expect=expect))
    return _endpoint_job(scenario, config, Mode.TOML, where)


def _retarget(url: str, config: RunConfig, where: str) -> str:
    """A TOML endpoint's URL on the run's host: a path (`/api/health`) is joined to `host`; an
    absolute URL keeps its own host unless `--host` was given explicitly (a flag or variable
    beats the file, the file beats pyproject.toml)."""
    relative = url.startswith("/")
    if not relative and not config.given("host"):
        return url
    if not config.host:
        raise InputError(
            f"{where}: url {url!r} is a path: pass --host http://HOST:PORT (or set "
            "[tool.surge] host) to send it somewhere, or write the full URL"
        )
    base = urlsplit(_check_host(config.host, where))
    parts = urlsplit(url)
    path = base.path.rstrip("/") + (parts.path or "/")
    return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


def _with_token(endpoint: EndpointSpec, token: str) -> EndpointSpec:
    headers = tuple(h for h in endpoint.headers if h[0].lower() != "authorization")
    return replace(endpoint, headers=(*headers, ("Authorization", f"Bearer {token}")))


def _jobs_of(target: Target, config: RunConfig) -> list[Job]:
    kind, items = classify(target)
    if kind is TargetKind.URL:
        return [url_job(str(items[0]), config)]
    if kind is TargetKind.FILE:
        return file_jobs(Path(items[0]), config)  # type: ignore[arg-type]
    if kind is TargetKind.USERS:
        try:
            from surge.scenario.script_loader import user_scenario

            scenario = user_scenario(items)  # type: ignore[arg-type]
        except ScenarioError as exc:
            raise InputError(str(exc)) from None
        return [scenario_job(scenario, config)]
    return [spec_job(spec, config) for spec in items]  # type: ignore[arg-type]


def build_jobs(target: Target, config: RunConfig) -> list[Job]:
    """Validate the target and config into jobs, or raise InputError (nothing is sent)."""
    try:
        check_cluster_options(config)
        jobs = _jobs_of(target, config)
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(str(exc)) from None
    recipe = JobRecipe(target, config)
    return [replace(job, recipe=replace(recipe, index=i)) for i, job in enumerate(jobs)]
