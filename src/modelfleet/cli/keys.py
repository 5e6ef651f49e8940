"""``modelfleet keys``: make an encryption key, and list the key ids the environment sets."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from modelfleet.cli.context import print_json_lines

app = typer.Typer(
    help="Make encryption keys and list the configured key ids.", no_args_is_help=True
)
JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line, for scripts.")]


def register(root: typer.Typer) -> None:
    """Add the keys commands to the root app."""
    root.add_typer(app, name="keys")


@app.command("new")
def new_key(
    key_id: Annotated[str, typer.Argument(help="The new key's id (letters, digits, . _ -).")],
) -> None:
    """Print one new ``id:base64key`` entry; put it first in the keyring to rotate to it.

    Printed to stdout only, never logged: redirect it straight into the key file.
    """
    from modelfleet.crypto import new_key_line

    typer.echo(new_key_line(key_id))


@app.command("list")
def list_keys(as_json: JsonFlag = False) -> None:
    """The key ids the environment configures, the current one first (never the keys)."""
    from modelfleet.crypto import KEY_FILE_ENV, KEYS_ENV, keyring_from_env

    ring = keyring_from_env(os.environ)
    source = KEYS_ENV if os.environ.get(KEYS_ENV, "").strip() else KEY_FILE_ENV
    ids = ring.key_ids if ring is not None else ()
    rows = [
        {"key_id": key_id, "current": at == 0, "source": source} for at, key_id in enumerate(ids)
    ]
    if as_json:
        print_json_lines(rows)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not rows:
        console.print(f"encryption is off: neither {KEYS_ENV} nor {KEY_FILE_ENV} is set")
        return
    table = Table("key id", "use", "source")
    for row in rows:
        table.add_row(
            str(row["key_id"]), "encrypts and decrypts" if row["current"] else "decrypts", source
        )
    console.print(table)
