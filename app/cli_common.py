"""What every `fluxori` command shares: consoles, settings loading and one-line errors instead of tracebacks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from assistant.settings import Settings
from domain.emulator import EmulatorError
from domain.errors import DomainError

console = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., object])

KeyOption = Annotated[
    str | None,
    typer.Option(
        help="API key for a running `fluxori serve` (default FLUXORI_API_KEY; in local mode the demo merchant key "
        "of a demo organisation)",
        show_default=False,
    ),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def clean_errors(fn: F) -> F:
    """Turn the errors a user can act on into one line and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            raise fail(exc.message) from None
        except EmulatorError as exc:
            raise fail(str(exc), 2) from None
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise fail(f"invalid setting: {problems}", 2) from None
        except KeyboardInterrupt:
            err.print("Interrupted.")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise fail(f"configuration: {problems}", 2) from None
