"""The Users resource: `GET /crm/v7/users?type=AllUsers`, incremental on Modified_Time, merged on id."""

from typing import Iterator, List, Optional

import dlt
import pendulum
from dlt.common.typing import TDataItem

from .client import ZohoClient
from .schema import drop_nulls
from .settings import CURSOR_FIELD, PER_PAGE, USERS
from .streams import in_extract_pool, unless_unreadable
from .timestamps import if_modified_since, to_utc


def users(
    client: ZohoClient,
    modified: dlt.sources.incremental[pendulum.DateTime] = dlt.sources.incremental(CURSOR_FIELD),
) -> Iterator[List[TDataItem]]:
    """Yield pages of users changed since the cursor (`AllUsers`: active and inactive users)."""
    yield from in_extract_pool(unless_unreadable(client, USERS, _user_pages(client, modified.start_value)))


def _user_pages(client: ZohoClient, since: pendulum.DateTime) -> Iterator[List[TDataItem]]:
    pages = client.paginate(
        "users",
        params={"type": "AllUsers", "per_page": PER_PAGE},
        headers=if_modified_since(since),
        data_selector="users",
    )
    for page in pages:
        yield [drop_nulls({**user, CURSOR_FIELD: _utc_or_none(user.get(CURSOR_FIELD))}) for user in page]


def _utc_or_none(value: Optional[str]) -> Optional[pendulum.DateTime]:
    return to_utc(value) if value else None
