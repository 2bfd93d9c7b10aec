"""The Users resource: `GET /crm/v7/users?type=AllUsers`, incremental on Modified_Time, merged on id."""

from typing import Iterator, List, Optional

import dlt
import pendulum
from dlt.common.typing import TDataItem

from ..api.ledger import BudgetedPages
from ..api.timestamps import if_modified_since, to_utc
from ..context import RunContext
from ..records.schema import drop_nulls
from ..settings import ALL_USERS, CURSOR_FIELD, PER_PAGE, USERS
from .streams import in_extract_pool, unless_unreadable


def users(
    context: RunContext,
    modified: dlt.sources.incremental[pendulum.DateTime] = dlt.sources.incremental(CURSOR_FIELD),
) -> Iterator[List[TDataItem]]:
    """Yield pages of users changed since the cursor (`AllUsers`: active and inactive users)."""
    pages = _user_pages(context, modified.start_value)
    yield from in_extract_pool(context, unless_unreadable(context, USERS, pages))


def _user_pages(context: RunContext, since: pendulum.DateTime) -> Iterator[List[TDataItem]]:
    """All pages of users changed since `since`, or none when the credit budget cuts the list short (their order
    is not documented: a partial list could move the cursor past users never read)."""
    pages = BudgetedPages(
        context.ledger,
        USERS,
        "users",
        1,
        context.client.paginate(
            "users",
            params={"type": ALL_USERS, "per_page": PER_PAGE},
            headers=if_modified_since(since),
            data_selector="users",
        ),
    )
    read = [[_user_row(user) for user in page] for page in pages]
    if not pages.stopped:
        yield from read


def _user_row(user: TDataItem) -> TDataItem:
    return drop_nulls({**user, CURSOR_FIELD: _utc_or_none(user.get(CURSOR_FIELD))})


def _utc_or_none(value: Optional[str]) -> Optional[pendulum.DateTime]:
    return to_utc(value) if value else None
