"""Failures the user fixes in the configuration (exit code 2), each with the line that says how."""

from typing import List, Optional

from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.destination.exceptions import UnknownDestinationModule
from dlt.common.exceptions import MissingDependencyException

from ...errors import ZohoCrmUserError

MISSING_DESTINATION_CONFIG = (
    "missing destination configuration {spec} ({keys}): put it in .dlt/secrets.toml, e.g. [destination.postgres] "
    'credentials = "postgresql://user:password@host:5432/db", or set DESTINATION__POSTGRES__CREDENTIALS'
)
DESTINATIONS = "duckdb, postgres, bigquery, snowflake, motherduck, redshift, mssql, databricks, filesystem, …"
MISSING_CREDENTIALS = (
    "missing Zoho credentials ({keys}): put client_id, client_secret and refresh_token under "
    "[sources.zoho_crm.credentials] in .dlt/secrets.toml, or set SOURCES__ZOHO_CRM__CREDENTIALS__CLIENT_ID, "
    "…__CLIENT_SECRET and …__REFRESH_TOKEN (README: 'Get a refresh token'); no Zoho account at hand? "
    "try `python zoho_crm_pipeline.py --demo`"
)


def user_error(links: List[BaseException]) -> Optional[str]:
    """The one-line message for an error the user can fix, found anywhere in the exception chain."""
    for exc in links:
        if isinstance(exc, ZohoCrmUserError):
            return str(exc)
        if isinstance(exc, ConfigFieldMissingException):
            if "zoho" in exc.spec_name.lower():
                return MISSING_CREDENTIALS.format(keys=", ".join(exc.fields))
            return MISSING_DESTINATION_CONFIG.format(spec=exc.spec_name, keys=", ".join(exc.fields))
        if isinstance(exc, UnknownDestinationModule):
            return f"unknown destination {exc.ref!r}: use a dlt destination name ({DESTINATIONS})"
        if isinstance(exc, MissingDependencyException):
            install = " ".join(f'"{d}"' for d in exc.dependencies) or '"dlt[<destination>]"'
            return f"missing package for {exc.caller}: pip install {install}"
    return None
