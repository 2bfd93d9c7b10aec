"""How the generators of the source run inside dlt: after the org guard, in dlt's extract pool, and skipped when the
org cannot read a module the user did not name."""

import logging
from typing import Iterator

from dlt.common.typing import TDataItem
from dlt.extract.utils import wrap_parallel_iterator

from ..context import RunContext
from ..errors import ZohoApiError
from ..settings import SKIPPED, UNREADABLE_CODES

logger = logging.getLogger(__name__)


def in_extract_pool(context: RunContext, items: Iterator[TDataItem]) -> Iterator[TDataItem]:
    """Check the org guard, then run each step of `items` in dlt's extract pool, so listings of all modules overlap
    each other and the detail calls (the gate bounds the calls in flight).

    The guard runs on the first step, in dlt's main extract thread, before any Zoho call of the resource. A step
    that fails stops the run's other calls (`ZohoGate.stopping_the_run_on_failure`): dlt's pool then shuts down at
    once instead of waiting for retries that no longer matter.

    `parallelized=True` is not enough for these resources: dlt 1.31 runs a generator that takes an
    `incremental` argument in its main thread, one module after another. Yielding dlt's own parallel wrapper
    from inside the resource keeps the incremental (applied to what the pool returns) and the parallelism.
    """
    context.org.check()
    yield from wrap_parallel_iterator(_stopping_the_run_on_failure(context, items))


def _stopping_the_run_on_failure(context: RunContext, items: Iterator[TDataItem]) -> Iterator[TDataItem]:
    """Each step runs in a pool thread: a failure there stops the other threads' calls at once."""
    with context.gate.stopping_the_run_on_failure():
        yield from items


def unless_unreadable(context: RunContext, module: str, items: Iterator[TDataItem]) -> Iterator[TDataItem]:
    """Pass `items` through; a module the user did not name and the org or token cannot read is skipped.

    Default and `all` modules may be missing from an edition or a profile; a module named explicitly fails.
    """
    try:
        yield from items
    except ZohoApiError as ex:
        if not context.quirks.is_optional(module) or ex.code not in UNREADABLE_CODES:
            raise
        logger.warning("Skipped %s: Zoho answered %s (%s)", module, ex.code, ex.zoho_message, extra=SKIPPED)
