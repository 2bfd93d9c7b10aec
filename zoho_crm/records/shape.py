"""One record shape for every reader: nulls dropped, column hints from field metadata attached once per module.

dlt validates hints each time an item carries them (and then recomputes the table schema), so the hints of a
module travel with the first batch of the run and afterwards only when a batch brings columns not hinted yet.
The schema is complete before normalize runs, so the order in which parallel batches arrive does not matter.
"""

from typing import Any, List

import dlt
from dlt.common.typing import TDataItem

from .metadata import OrgMetadata
from .schema import drop_nulls, drop_nulls_and_viewer_flags, json_hints_for_scalar_lists


def shape_records(
    metadata: OrgMetadata, module: str, records: List[TDataItem], keep_viewer_flags: bool = False
) -> Any:
    """Records of `module` as dlt should load them: without nulls (and without Zoho's per-viewer `$` keys unless
    `keep_viewer_flags`), with hints when due."""
    module_hints = metadata.hints(module)
    shape = drop_nulls if keep_viewer_flags else drop_nulls_and_viewer_flags
    shaped = [shape(record) for record in records]
    hints = metadata.hints_to_send(module, json_hints_for_scalar_lists(shaped, module_hints.columns))
    return dlt.mark.with_hints(shaped, hints) if hints else shaped
