"""The destination checked before the first Zoho call: a run that cannot load fails before it spends any credit.

Resolving the destination and its configuration, importing its client library and opening a connection is what
dlt does at its first step anyway; done first, a missing package, a bad configuration, a server that does not
answer or a DuckDB file another process holds costs no API credit and leaves no package behind.
"""

import re
from typing import Optional

import dlt
from dlt.common.configuration.exceptions import ConfigurationException

from ..errors import DestinationInUse

FILESYSTEM = "dlt.destinations.filesystem"
PROBE_FILE = "_zoho_crm_write_probe"
DUCKDB_LOCK = re.compile(
    r'Could not set lock on file "(?P<path>[^"]+)": Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)'
)


class DestinationUnreachable(Exception):
    """The destination did not answer the preflight connection (the cause is chained)."""

    def __init__(self, destination: str, cause: BaseException) -> None:
        self.destination = destination
        super().__init__(f"destination {destination} did not answer before the run: {cause}")


def preflight(pipeline: dlt.Pipeline, table_format: Optional[str] = None) -> None:
    """Check that `pipeline` can load: its client library, configuration and connection (DuckDB: the file's write
    lock; filesystem: a writable bucket, and `deltalake` for Delta tables).

    Raises:
        MissingDependencyException: dlt's, naming the package to install (exit 2).
        ConfigFieldMissingException: dlt's, for missing destination credentials (exit 2).
        DestinationInUse: Another process holds the DuckDB file (exit 3: run again).
        DestinationUnreachable: The connection failed (exit 1).
    """
    if table_format == "delta":
        from dlt.common.libs import deltalake  # noqa: F401  # raises dlt's MissingDependencyException naming it
    try:
        with pipeline.destination_client() as client:
            if pipeline.destination.destination_type == FILESYSTEM:
                probe = client.pathlib.join(client.bucket_path, PROBE_FILE)
                client.fs_client.makedirs(client.bucket_path, exist_ok=True)
                client.fs_client.write_text(probe, "")
                client.fs_client.rm(probe)
    except (ImportError, ConfigurationException, PermissionError):
        raise  # a package to install, a configuration to fix, a folder to open: the failure line says which
    except Exception as ex:
        held = DUCKDB_LOCK.search(str(ex))
        if held:
            raise DestinationInUse(  # the line as before the preflight; exit 3 now: nothing lost, run again
                f"error: sync step failed: the DuckDB file {held['path']} is in use by another process (PID "
                f"{held['pid']}, {held['program']}): close it (a notebook, DBeaver, the duckdb CLI) and run again"
            ) from None
        raise DestinationUnreachable(pipeline.destination.destination_name, ex) from ex
