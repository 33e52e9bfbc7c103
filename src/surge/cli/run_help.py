"""`surge run --help`: the options in the groups of the option table (load, HTTP, checks and
thresholds, workers, store and compare, outputs), then examples."""

from __future__ import annotations

import click

from surge.config import BY_NAME, Group

EXAMPLES = (
    ("URL mode: 50 users for 30 s", "surge run http://127.0.0.1:8000/api/health -u 50 -d 30s"),
    ("scripted users", "surge run scenario.py --host http://127.0.0.1:8000 -u 20 -d 1m"),
    ("open model: 200 requests/s", "surge run http://127.0.0.1:8000/api/deals --rate 200 -d 1m"),
    ("gate CI", "surge run scenarios.toml --threshold 'p95<200ms' --junit junit.xml"),
    ("every core", "surge run http://127.0.0.1:8000/api/deals -u 200 -d 1m --workers auto"),
    ("5 runs vs the baseline of api", "surge run api.toml -d 30s --repeat 5 --compare-to api"),
    ("the JSON on stdout", "surge run http://127.0.0.1:8000/ -n 10 --out - | jq .summary"),
)


class RunCommand(click.Command):
    """A command whose options are listed in the option table's groups, with examples."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        groups: dict[str, list[tuple[str, str]]] = {group.value: [] for group in Group}
        other: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            if isinstance(param, click.Argument):
                continue
            record = param.get_help_record(ctx)
            if record is None:
                continue
            spec = BY_NAME.get(param.name or "")
            (groups[spec.group.value] if spec is not None else other).append(record)
        for title, rows in groups.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
        if other:
            with formatter.section("Other"):
                formatter.write_dl(other)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Examples"):
            for what, command in EXAMPLES:
                formatter.write_text(f"# {what}")
                formatter.write_text(command)
        formatter.write_paragraph()
        formatter.write_text(
            "Every option is also a SURGE_* variable and a [tool.surge] key "
            "(docs/configuration.md)."
        )
