"""Turning a target (URL, .py or .toml) and resolved options into validated Jobs.

Everything here happens before any request: a bad option or file raises InputError (exit 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from surge.cli.execute import Job
from surge.cli.options import BY_NAME
from surge.cli.recipe import ClusterOptionError, JobRecipe, check_cluster_options
from surge.scenario import (
    Scenario,
    ScenarioError,
    endpoint_from_options,
    endpoint_scenario,
    expectations_from_options,
    load_scenario,
)
from surge.schedule import (
    ArrivalProcess,
    LoadProfile,
    Plan,
    PlanError,
    compile_plan,
    parse_duration,
)
from surge.thresholds import (
    ThresholdError,
    ThresholdSpec,
    parse_thresholds,
    specs_from_entries,
    validate,
    validate_resources,
)

_URL_ONLY = ("expect_status", "expect_body", "expect_json")


class InputError(Exception):
    """Bad input found before any traffic: printed as one clear message, exit code 2."""


def is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def _apply_overrides(
    options: Mapping[str, Any], overrides: Mapping[str, object], explicit: set[str], where: str
) -> dict[str, Any]:
    """Scenario-file values beat pyproject.toml and defaults, never an explicit flag/env var."""
    merged = dict(options)
    for key, value in overrides.items():
        if key in explicit:
            continue
        spec = BY_NAME.get(key)
        if spec is None:
            raise InputError(f"{where}: unknown option {key!r}")
        if spec.type is not None and isinstance(spec.type, click.ParamType):
            try:
                if spec.multiple:
                    items = value if isinstance(value, list | tuple) else [value]
                    value = tuple(spec.type.convert(item, None, None) for item in items)
                else:
                    value = spec.type.convert(value, None, None)
            except click.BadParameter as exc:
                raise InputError(f"{where}: {key}: {exc.format_message()}") from None
        merged[key] = value
    return merged


def _plan(
    options: Mapping[str, Any],
    weights: Sequence[int],
    where: str,
    explicit: set[str],
    shape: type | None = None,
) -> Plan:
    dynamic = options.get("rate") is not None or options.get("stages") or shape is not None
    users = int(options["users"]) if "users" in explicit or not dynamic else 1
    try:
        return compile_plan(
            LoadProfile(
                users=users,
                ramp_up_s=float(options["ramp_up"]),
                duration_s=None if options["duration"] is None else float(options["duration"]),
                requests_per_user=options["requests_per_user"],
                think_time_s=float(options["think_time"]),
                rate=None if options.get("rate") is None else float(options["rate"]),
                arrivals=ArrivalProcess(options.get("arrivals") or "uniform"),
                max_in_flight=options.get("max_in_flight"),
                stages=options.get("stages") or None,
                shape=shape,
                seed=options.get("seed"),
            ),
            weights,
        )
    except PlanError as exc:
        raise InputError(f"{where}: {exc}" if where else str(exc)) from None


def _check_host(host: str, where: str) -> str:
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"{where}: host {host!r} is not an http(s) URL (e.g. http://127.0.0.1:8000)"
        )
    return host.rstrip("/")


def url_job(target: str, options: dict[str, Any], explicit: set[str]) -> Job:
    try:
        endpoint = endpoint_from_options(
            target,
            method=options["method"],
            headers=list(options["header"]),
            body=options["body"],
            json_body=options["json"],
            auth_token=options["auth_token"],
            name=None,
            expect_status=tuple(options["expect_status"]),
            expect_body=options["expect_body"],
            expect_json=tuple(options["expect_json"]),
        )
    except (ValueError, ScenarioError) as exc:
        raise InputError(str(exc)) from None
    scenario = endpoint_scenario(endpoint)
    name = options["name"] or f"{endpoint.method} {endpoint.endpoint_name}"
    plan = _plan(options, (1,), "", explicit)
    thresholds = _thresholds(options, scenario, {(endpoint.method.upper(), endpoint.endpoint_name)})
    return Job(scenario, options, plan, target, name, "url", thresholds)


def _thresholds(
    options: Mapping[str, Any], scenario: Scenario, known: set[tuple[str, str]] | None
) -> tuple[ThresholdSpec, ...]:
    """`--threshold` expressions plus the scenario file's own, parsed and checked (exit 2)."""
    abort, grace_s = bool(options["abort_on_fail"]), float(options["abort_grace"])
    try:
        specs = parse_thresholds(options["threshold"], abort_on_fail=abort, grace_s=grace_s)
        specs += specs_from_entries(scenario.thresholds, abort_on_fail=abort, grace_s=grace_s)
        validate(specs, known)
        monitored = bool(options.get("monitor_pid") or options.get("monitor_process"))
        validate_resources(specs, targets_monitored=monitored)
    except ThresholdError as exc:
        raise InputError(str(exc)) from None
    return specs


def file_jobs(path: Path, options: dict[str, Any], explicit: set[str]) -> list[Job]:
    try:
        scenarios = load_scenario(path)
    except ScenarioError as exc:
        raise InputError(str(exc)) from None
    jobs: list[Job] = []
    for scenario in scenarios:
        jobs.append(_file_job(path, scenario, options, explicit))
    return jobs


def _file_job(path: Path, scenario: Scenario, options: dict[str, Any], explicit: set[str]) -> Job:
    where = f"{path} [{scenario.name}]" if scenario.endpoint is not None else str(path)
    resolved = _apply_overrides(options, scenario.overrides, explicit, where)
    if scenario.endpoint is not None:
        endpoint = scenario.endpoint
        if options["auth_token"] and "auth_token" in explicit:
            endpoint = _with_token(endpoint, options["auth_token"])
        try:
            expect = expectations_from_options(
                tuple(resolved["expect_status"]),
                resolved["expect_body"],
                tuple(resolved["expect_json"]),
            )
        except (ValueError, ScenarioError) as exc:
            raise InputError(f"{where}: {exc}") from None
        endpoint = replace(endpoint, expect=expect)
        scenario = replace(scenario, endpoint=endpoint)
        plan = _plan(resolved, (1,), where, explicit)
        name = options["name"] or scenario.name
        known = {(endpoint.method.upper(), endpoint.endpoint_name)}
        thresholds = _thresholds(resolved, scenario, known)
        return Job(scenario, resolved, plan, endpoint.url, name, "toml", thresholds)
    given = [flag for flag in _URL_ONLY if flag in explicit]
    if given:
        raise InputError(
            f"{path}: --{given[0].replace('_', '-')} applies to URL mode and TOML endpoints; "
            "in a script use response checks (see docs/thresholds.md)"
        )
    host = options["host"] or scenario.host
    if not host:
        raise InputError(
            f"{path}: no host to send requests to: pass --host http://HOST:PORT "
            "or set `host = ...` on a User class"
        )
    plan = _plan(resolved, scenario.weights, where, explicit, scenario.shape)
    name = options["name"] or scenario.name
    thresholds = _thresholds(resolved, scenario, None)
    return Job(scenario, resolved, plan, _check_host(host, str(path)), name, "script", thresholds)


def _with_token(endpoint: Any, token: str) -> Any:
    headers = tuple(h for h in endpoint.headers if h[0].lower() != "authorization")
    return replace(endpoint, headers=(*headers, ("Authorization", f"Bearer {token}")))


def build_jobs(target: str, options: dict[str, Any], explicit: set[str]) -> list[Job]:
    """Validate the target and options into jobs, or raise InputError (nothing is sent)."""
    if options.get("duration") is not None and not isinstance(options["duration"], float):
        options["duration"] = parse_duration(options["duration"])
    try:
        check_cluster_options(options)
    except ClusterOptionError as exc:
        raise InputError(str(exc)) from None
    recipe = JobRecipe(target, dict(options), frozenset(explicit))
    if is_url(target):
        return [replace(url_job(target, options, explicit), recipe=recipe)]
    path = Path(target)
    if path.suffix not in (".py", ".toml"):
        raise InputError(
            f"don't know how to run {target!r}: give an http(s):// URL, a scenario .py file "
            "or a scenarios .toml file"
        )
    if not path.is_file():
        raise InputError(f"{target}: no such file")
    jobs = file_jobs(path, options, explicit)
    return [replace(job, recipe=replace(recipe, index=i)) for i, job in enumerate(jobs)]
