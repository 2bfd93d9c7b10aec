"""Where the demo loads and keeps its emulator org, and whether this demo is its first (a full load).

The emulator's side (the org file's content, replaying it, changing records) is `zoho_emulator.demo_org`; this module
only knows paths, the pipeline and the user's flags, so the source package still never imports the emulator.
"""

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Type

import dlt

from ..errors import ZohoConfigError
from . import DEMO_ORG_FILE
from .queries import print_queries


@dataclass(frozen=True)
class DemoTarget:
    """The demo pipeline's destination: its DuckDB file (None for another destination) and the org file beside it."""

    pipeline_name: str
    dataset_name: str
    destination_name: str
    duckdb: Optional[Path]

    @classmethod
    def of(cls, pipeline: dlt.Pipeline) -> "DemoTarget":
        """The target of the demo pipeline (its DuckDB file from the resolved configuration: a client would create
        the file, and the demo asks whether it exists)."""
        destination = pipeline.destination.destination_name
        duckdb = None
        if destination == "duckdb":
            config = pipeline.destination.configuration(None, accept_partial=True)  # type: ignore[arg-type]
            database = getattr(config.credentials, "database", None)
            if isinstance(database, str) and not database.startswith((":", "md:", "motherduck:")):
                duckdb = Path(os.path.abspath(database))  # not in memory, not MotherDuck: a file
        return cls(pipeline.pipeline_name, pipeline.dataset_name, destination, duckdb)

    @property
    def org_file(self) -> Path:
        """Where the demo keeps its emulator org: beside its DuckDB file, else in the working directory."""
        return (self.duckdb.parent if self.duckdb is not None else Path.cwd()) / DEMO_ORG_FILE

    def reload_reason(self, new_org: bool, full_refresh: bool) -> Optional[str]:
        """Why this demo loads everything (None: it is incremental): a new org, a mirror without its DuckDB file
        (the pipeline state's cursors would skip the records loaded before), or `--full-refresh`."""
        if new_org:
            return "a new demo org"
        if self.duckdb is not None and not self.duckdb.exists():
            return "no DuckDB file yet"
        return "--full-refresh" if full_refresh else None

    def lines(self, reload: Optional[str]) -> List[str]:
        """Where the demo loads, by the names an analyst needs to reach it (`dlt.attach(name)`, the DuckDB file),
        and whether it loads everything or what changed."""
        where = str(self.duckdb) if self.duckdb is not None else self.destination_name
        return [
            f"Pipeline {self.pipeline_name} → {where}, dataset {self.dataset_name}",
            "Incremental: loading what changed since the last demo"
            if reload is None
            else f"Reloading ({reload})"
            if reload.startswith("--")
            else f"Loading everything ({reload})",
        ]


def check_demo_flags(demo: bool, changes: Optional[int]) -> None:
    """`--changes N` changes the demo org, so it needs `--demo` and N ≥ 1 (a configuration error else)."""
    if changes is not None and not demo:
        raise ZohoConfigError("--changes N edits and deletes records of the demo org: use it with --demo")
    if changes is not None and changes < 1:
        raise ZohoConfigError(f"--changes takes a number of records, 1 or more, got {changes}")


@contextmanager
def as_config_errors(*kinds: Type[Exception]) -> Iterator[None]:
    """Raise `kinds` (the emulator's `DemoOrgError`: an org file to delete) as configuration errors: exit 2, one
    line."""
    try:
        yield
    except kinds as ex:
        raise ZohoConfigError(str(ex)) from ex


def print_demo_queries(pipeline: dlt.Pipeline, names: Sequence[str]) -> None:
    """Print the named queries with their answers from the demo's data, and how to reach it from Python."""
    where = f"from {pipeline.destination.destination_name}, dataset {pipeline.dataset_name}"
    print(f"\nQueries to try ({where}; more in the README: Query your CRM):")
    print_queries(pipeline, names)
    print(f'\nFrom Python: dlt.attach("{pipeline.pipeline_name}").dataset() (README: Query your CRM)')
