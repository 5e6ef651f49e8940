"""Shared CLI plumbing: settings from flags and environment, error output, JSON output."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

if TYPE_CHECKING:
    from modelfleet.client import Client
    from modelfleet.errors import ModelfleetError


@dataclass
class CliState:
    """Global options given before the command name."""

    home: Path | None = None
    store_url: str | None = None

    def client(self, workers: int | None = None) -> Client:
        """A client built from these options over the process environment (the edge)."""
        from modelfleet.client import Client

        return Client.open(
            home=self.home, store_url=self.store_url, workers=workers, environ=os.environ
        )


def state(ctx: typer.Context) -> CliState:
    """The global options of this invocation."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, CliState) else CliState()


def fail(exc: ModelfleetError) -> NoReturn:
    """Print a modelfleet error as a headline and its message, then exit non-zero."""
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    console.print(f"[bold red]error:[/] {exc.headline}")
    console.print(str(exc), markup=False)
    sys.exit(2 if exc.http_status in (404, 422) else 1)


def print_json_lines(objects: Iterable[dict[str, Any]]) -> None:
    """One JSON object per line, for scripts (``jq -c``, ``pandas.read_json(lines=True)``)."""
    for obj in objects:
        sys.stdout.write(json.dumps(obj, default=str, sort_keys=True) + "\n")
