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

URL_ENV = "MODELFLEET_URL"


@dataclass
class CliState:
    """Global options given before the command name."""

    home: Path | None = None
    store_url: str | None = None
    url: str | None = None  # a control-plane server to talk to instead of the local store

    def server_url(self) -> str | None:
        """``--url``, else ``MODELFLEET_URL``, else None (work on the local store).

        An explicit ``--home`` or ``--store-url`` means the local store: it beats the variable.
        """
        if self.url:
            return self.url
        if self.home is not None or self.store_url is not None:
            return None
        return os.environ.get(URL_ENV) or None

    def client(self, workers: int | None = None, *, actor: str | None = None) -> Client:
        """A client over the server when a URL is set, else over the local home (the edge).

        ``actor`` (``--actor``) names who local writes are recorded as; a server decides who
        its callers are, so it is refused together with a server URL.
        """
        url = self.server_url()
        if url is None:
            return self.local_client(workers, actor=actor)
        from modelfleet.client import Client
        from modelfleet.errors import UsageError

        if actor is not None:
            raise UsageError(
                "--actor applies to a local home only: a server records the caller it "
                f"derives itself; drop --actor, or drop --url / unset {URL_ENV}"
            )
        return Client.over_http(url)

    def local_client(
        self, workers: int | None = None, *, ignore_url: bool = False, actor: str | None = None
    ) -> Client:
        """A client on the local stores, for commands that need local data (train, validate).

        A server URL set by ``--url`` or the environment is an error (the command would not
        reach that server), unless ``ignore_url`` says the command never touches a store.
        """
        from modelfleet.client import Client
        from modelfleet.errors import UsageError

        if not ignore_url and self.server_url() is not None:
            raise UsageError(
                f"this command works on local files and stores only, but a server URL is set "
                f"(--url or {URL_ENV}); drop --url, or unset {URL_ENV}"
            )
        from modelfleet.caller import local_caller

        return Client.open(
            home=self.home,
            store_url=self.store_url,
            workers=workers,
            environ=os.environ,
            caller=local_caller(actor),
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
