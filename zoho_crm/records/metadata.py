"""Org metadata read at most once per run: the module list and each module's fields."""

import logging
import threading
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Set, TypeVar

import dlt
from dlt.common.schema.typing import TTableSchemaColumns
from dlt.extract.hints import TResourceHints, TResourceNestedHints, make_nested_hints

from ..api.client import ZohoClient
from ..api.quirks import ZohoQuirks
from ..errors import ZohoApiError
from ..settings import DETAIL_ONLY_TYPES
from .schema import TFieldMeta, column_hints, subform_module

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ModuleHints(NamedTuple):
    """Typed columns of a module table and of its subform child tables (by subform field API name), and the
    fields Zoho returns only when fetching records (subforms, line items, multi-select lookups)."""

    columns: TTableSchemaColumns
    nested: Dict[str, TResourceNestedHints]
    detail_only: Set[str]


class OnceEach:
    """Values computed once per key by whichever thread asks first; threads asking for other keys do not wait."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key_locks: Dict[str, threading.Lock] = {}
        self._values: Dict[str, Any] = {}

    def get(self, key: str, compute: Callable[[], T]) -> T:
        """The value for `key`, computing it with `compute` the first time."""
        if key in self._values:
            return self._values[key]  # type: ignore[no-any-return]
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._values:
                self._values[key] = compute()
            return self._values[key]  # type: ignore[no-any-return]

    def has(self, key: str) -> bool:
        """True once the value for `key` is computed."""
        return key in self._values


class OrgMetadata:
    """Thread-safe, per-run cache of `/settings/modules` and `/settings/fields?module=X`."""

    def __init__(self, client: ZohoClient, quirks: ZohoQuirks) -> None:
        self.client = client
        self.quirks = quirks
        self._lock = threading.Lock()
        self._modules: Optional[Dict[str, Dict[str, Any]]] = None
        self._fields = OnceEach()
        self._hints = OnceEach()
        self._hinted: Dict[str, Set[str]] = {}  # columns whose hints already went to dlt, per module

    def modules(self) -> Optional[Dict[str, Dict[str, Any]]]:
        """API-supported modules of the org by API name (one call per run); None without the settings scope."""
        with self._lock:
            if self._modules is None:
                try:
                    rows = self.client.get_data("settings/modules", data_selector="modules")
                except ZohoApiError as ex:
                    if not _optional_call_failed(ex):
                        raise
                    logger.warning(
                        "The module list is unavailable (%s; needs ZohoCRM.settings.modules.READ): module names are "
                        "not checked up front",
                        ex.code,
                    )
                    return None
                self._modules = {str(m["api_name"]): m for m in rows if m.get("api_supported", True)}
            return self._modules

    def fields(self, module: str) -> List[TFieldMeta]:
        """Field metadata of `module` (one call per module per run, made by whichever thread needs it first).

        Without it columns are typed by inference, so a missing scope or an unsupported module only warns.
        """
        return self._fields.get(module, lambda: self._read_fields(module))

    def has_fields(self, module: str) -> bool:
        """True when this run already read the field metadata of `module` (asking again costs nothing)."""
        return self._fields.has(module)

    def _read_fields(self, module: str) -> List[TFieldMeta]:
        try:
            return self.client.get_data(
                "settings/fields", module=module, params={"module": module}, data_selector="fields"
            )
        except ZohoApiError as ex:
            if not _optional_call_failed(ex):
                raise
            logger.warning(
                "Field metadata of %s unavailable (%s): its columns are typed from the values "
                "(grant ZohoCRM.settings.fields.READ for typed columns)",
                module,
                ex.code,
            )
            return []

    def field_names(self, module: str) -> List[str]:
        """API names of the fields that carry values (virtual fields have none)."""
        return [str(f["api_name"]) for f in self.fields(module) if not f.get("virtual_field")]

    def hints(self, module: str) -> ModuleHints:
        """Column hints of `module` from field metadata, and nested hints typing its subform rows.

        Computed once per run; each subform (line items included) costs one more metadata call.
        """
        return self._hints.get(module, lambda: self._module_hints(module))

    def _module_hints(self, module: str) -> ModuleHints:
        fields = self.fields(module)
        nested = {
            str(field["api_name"]): make_nested_hints(columns=column_hints(self.fields(sub), False, self.quirks))
            for field, sub in ((f, subform_module(f)) for f in fields)
            if sub
        }
        detail_only = {str(f["api_name"]) for f in fields if f.get("data_type") in DETAIL_ONLY_TYPES}
        return ModuleHints(column_hints(fields, quirks=self.quirks), nested, detail_only)

    def hints_to_send(self, module: str, extra: TTableSchemaColumns) -> Optional[TResourceHints]:
        """The hints a batch of `module` must carry: all of them the first time in the run, later only columns
        (`extra`, found in the data) not hinted yet; None when dlt already has them all."""
        module_hints = self.hints(module)
        with self._lock:
            hinted = self._hinted.get(module)
            if hinted is None:
                columns = {**module_hints.columns, **extra}
                self._hinted[module] = set(columns)
                return dlt.mark.make_hints(columns=columns, nested_hints=module_hints.nested or None)
            new = {name: column for name, column in extra.items() if name not in hinted}
            if not new:
                return None
            hinted.update(new)
            return dlt.mark.make_hints(columns=new)


def _optional_call_failed(ex: ZohoApiError) -> bool:
    """Metadata the run can do without: not for throttling, server errors or a rejected token."""
    return ex.status_code != 429 and ex.status_code < 500 and ex.code not in ("INVALID_TOKEN", "AUTHENTICATION_FAILURE")
