"""Field-tracker history modules (Deals → DealHistory): found once, remembered, loaded like any module.

Zoho keeps the history of one tracked picklist per module in a module of its own (Kaizen #107): `DealHistory` for
`Deals.Stage`. Such modules are listed by `/settings/modules` with `generated_type` `field_tracker`, and the
tracked field's metadata names its history module in `history_tracking.module.api_name`. Records are read with
Get Records like any module, so the source hands them to the same REST reader.

What it costs: the module list is read once per run anyway, and it tells whether the org has tracker modules at
all (none: nothing more is read). Which loaded module a tracker belongs to comes from the field metadata of the
loaded modules, read at most once per run by `OrgMetadata` and shared with the loading of their records. The
answer is kept in the source state (it travels with the load, like the cursors): later runs read no field
metadata for it until the org's set of tracker modules changes or a module joins the run. Modules are looked at
in the order of how much their name resembles an unresolved tracker's (DealHistory → Deals first), and the
search stops once every tracker has its module, so even a run without the state usually reads one module's
fields per tracker.
"""

from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

import dlt
from dlt.common.exceptions import PipelineStateNotAvailable, SourceSectionNotAvailable
from dlt.common.typing import TDataItem
from dlt.sources import DltResource

from ..records.metadata import OrgMetadata
from ..records.schema import TFieldMeta
from ..settings import USERS

SOURCE_NAME = "zoho_crm"  # the name of the @dlt.source (its state lives under it)
FIELD_TRACKER_TYPE = "field_tracker"  # generated_type of tracker modules (Zoho's v7 modules sample)
STATE_KEY = "history_modules"  # source state: {"trackers": [...], "checked": {module: [its trackers]}}
TRACKER_LINKS_RESOURCE = "zoho_crm_history_modules"
THistoryCache = Dict[str, Any]


def history_modules(
    metadata: OrgMetadata, loaded: Sequence[str]
) -> "tuple[Dict[str, List[str]], Optional[THistoryCache]]":
    """The history modules of each loaded module, and the cache to store (None when there is nothing to keep).

    Called while the source is built: the source state read here is what the pipeline holds locally. The cache is
    stored on every run, not only when it changed: a run with `refresh="drop_sources"` wipes the source state
    after this point, and storing an unchanged value does not change the state.
    """
    trackers = tracker_modules(metadata.modules())
    cached = remembered(_source_state())
    if not trackers and cached is None:
        return {}, None  # the org has no tracker module: nothing to read, nothing to remember
    return find_history_modules(metadata, loaded, trackers, cached)


def tracker_modules(available: Optional[Mapping[str, Mapping[str, Any]]]) -> List[str]:
    """API names of the org's field-tracker modules, from `/settings/modules` (none without the module list)."""
    return sorted(name for name, m in (available or {}).items() if m.get("generated_type") == FIELD_TRACKER_TYPE)


def tracked_by(fields: Sequence[TFieldMeta]) -> List[str]:
    """History modules named by the `history_tracking` of a module's fields."""
    names = ((f.get("history_tracking") or {}).get("module") or {} for f in fields)
    return sorted({str(m["api_name"]) for m in names if m.get("api_name")})


def find_history_modules(
    metadata: OrgMetadata, loaded: Sequence[str], trackers: Sequence[str], cache: Optional[Mapping[str, Any]]
) -> "tuple[Dict[str, List[str]], THistoryCache]":
    """The history modules of each loaded module, and the cache to keep for the next runs.

    Args:
        metadata: The run's metadata cache (field metadata is read through it, once per module per run).
        loaded: The modules this run loads.
        trackers: The org's field-tracker modules (`tracker_modules`).
        cache: What an earlier run found (`STATE_KEY` of the source state), or None.

    Returns:
        (loaded module -> its tracker modules, only modules that have some; the cache as it is now).
    """
    if not cache or cache.get("trackers") != list(trackers):
        cache = {"trackers": list(trackers), "checked": {}}  # a new tracker may belong to any module: look again
    checked: Dict[str, List[str]] = dict(cache["checked"])
    unresolved = set(trackers) - {t for found in checked.values() for t in found}
    candidates = [m for m in loaded if m not in checked and m != USERS and m not in trackers]
    for module in sorted(candidates, key=lambda m: -max((_likeness(m, t) for t in unresolved), default=0)):
        if not unresolved:
            break
        fields = metadata.fields(module)
        if not fields:
            continue  # metadata unavailable (scope, permission): not remembered, asked again next run
        checked[module] = tracked_by(fields)
        unresolved -= set(checked[module])
    links = {m: [t for t in checked.get(m, []) if t in trackers] for m in loaded}
    return {m: t for m, t in links.items() if t}, {"trackers": list(trackers), "checked": checked}


def remembered(state: Mapping[str, Any]) -> Optional[THistoryCache]:
    """The cache an earlier run stored in the source state (read when the source is built), if any."""
    value = state.get(STATE_KEY)
    return value if isinstance(value, dict) else None


def with_history_modules(pipeline: dlt.Pipeline, modules: Sequence[str]) -> List[str]:
    """`modules` and the history modules an earlier run loaded with them (DealHistory with Deals), from the
    pipeline's state: resetting a module resets its stage history too."""
    cache = remembered((pipeline.state.get("sources") or {}).get(SOURCE_NAME) or {}) or {}
    checked: Mapping[str, List[str]] = cache.get("checked") or {}
    history = [t for m in modules for t in checked.get(m, []) if t not in modules]
    return [*modules, *dict.fromkeys(history)]


def remember(cache: THistoryCache) -> DltResource:
    """A resource that writes the cache into the source state during extract, so it commits with the load.

    The source state is read-only while the source is being built; a resource's run is where dlt persists it.
    """
    return dlt.resource(_store_cache, name=TRACKER_LINKS_RESOURCE)(cache)


def _store_cache(cache: THistoryCache) -> Iterator[TDataItem]:
    dlt.current.source_state()[STATE_KEY] = cache
    yield from ()


def _source_state() -> Mapping[str, Any]:
    """The source state as the pipeline holds it, or {} when the source is built outside a pipeline."""
    try:
        return dlt.current.source_state()
    except (PipelineStateNotAvailable, SourceSectionNotAvailable):
        return {}


def _likeness(module: str, tracker: str) -> int:
    """Length of the common prefix of two API names, case-insensitive (Deals/DealHistory: 4)."""
    a, b = module.lower(), tracker.lower()
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
