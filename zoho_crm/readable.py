"""Which modules a run may skip: those the user did not name that the org, edition or token cannot read."""

import logging
from typing import Iterator

from dlt.common.typing import TDataItem

from .client import ZohoClient
from .errors import ZohoApiError
from .settings import UNREADABLE_CODES

logger = logging.getLogger(__name__)


def unless_unreadable(client: ZohoClient, module: str, items: Iterator[TDataItem]) -> Iterator[TDataItem]:
    """Pass `items` through; a module the user did not name and the org or token cannot read is skipped.

    Default and `all` modules may be missing from an edition or a profile; a module named explicitly fails.
    """
    try:
        yield from items
    except ZohoApiError as ex:
        if module not in client.optional_modules or ex.code not in UNREADABLE_CODES:
            raise
        logger.warning("Skipped %s: Zoho answered %s (%s)", module, ex.code, ex.zoho_message)
