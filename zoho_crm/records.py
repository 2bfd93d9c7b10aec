"""One record shape for every reader: nulls dropped, datetimes parsed, column hints from field metadata attached
once per module.

dlt validates hints each time an item carries them (and then recomputes the table schema), so the hints of a
module travel with the first batch of the run and afterwards only when a batch brings columns not hinted yet.
The schema is complete before normalize runs, so the order in which parallel batches arrive does not matter.
"""

from datetime import datetime
from typing import Any, List, Tuple

import dlt
from dlt.common.typing import TDataItem

from .metadata import OrgMetadata
from .schema import drop_nulls, json_hints_for_scalar_lists


def shape_records(metadata: OrgMetadata, module: str, records: List[TDataItem]) -> Any:
    """Records of `module` as dlt should load them: without nulls, datetimes parsed, with hints when due."""
    module_hints = metadata.hints(module)
    shaped = [drop_nulls(record) for record in records]
    parse_datetimes(shaped, module_hints.timestamps)
    hints = metadata.hints_to_send(module, json_hints_for_scalar_lists(shaped, module_hints.columns))
    return dlt.mark.with_hints(shaped, hints) if hints else shaped


def parse_datetimes(records: List[TDataItem], names: Tuple[str, ...]) -> None:
    """Parse Zoho's ISO-8601 datetimes of timestamp columns in place (dlt stores the same instant in UTC).

    The standard library parses Zoho's fixed format several times faster than dlt's coercion of strings during
    normalize; a value it cannot parse stays a string and dlt handles it as before.
    """
    for record in records:
        for name in names:
            value = record.get(name)
            if type(value) is str:
                try:  # noqa: SIM105 - a hot loop: cheaper than contextlib.suppress
                    record[name] = datetime.fromisoformat(value)
                except ValueError:
                    pass
