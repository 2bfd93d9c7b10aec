"""Org metadata read at most once per run: the module list and each module's fields."""

import threading
from typing import Any, Dict, List

from dlt.common.schema.typing import TTableSchemaColumns

from .client import ZohoClient
from .schema import TFieldMeta, column_hints


class OrgMetadata:
    """Thread-safe, per-run cache of `/settings/modules` and `/settings/fields?module=X`."""

    def __init__(self, client: ZohoClient) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._modules: Dict[str, Dict[str, Any]] = {}
        self._fields: Dict[str, List[TFieldMeta]] = {}
        self._hints: Dict[str, TTableSchemaColumns] = {}

    def modules(self) -> Dict[str, Dict[str, Any]]:
        """API-supported modules of the org by API name (one call per run)."""
        with self._lock:
            if not self._modules:
                rows = self.client.get_data("settings/modules", kind="metadata", data_selector="modules")
                self._modules = {str(m["api_name"]): m for m in rows if m.get("api_supported", True)}
            return self._modules

    def fields(self, module: str) -> List[TFieldMeta]:
        """Field metadata of `module` (one call per module per run, made by whichever thread needs it first)."""
        with self._lock:
            if module not in self._fields:
                self._fields[module] = self.client.get_data(
                    "settings/fields", kind="metadata", module=module, params={"module": module}, data_selector="fields"
                )
            return self._fields[module]

    def field_names(self, module: str) -> List[str]:
        """API names of the fields that carry values (virtual fields have none)."""
        return [str(f["api_name"]) for f in self.fields(module) if not f.get("virtual_field")]

    def hints(self, module: str) -> TTableSchemaColumns:
        """Column hints of `module` from its field metadata (computed once per run)."""
        fields = self.fields(module)
        with self._lock:
            if module not in self._hints:
                self._hints[module] = column_hints(fields)
            return self._hints[module]
