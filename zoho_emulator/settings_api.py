"""The org-level settings endpoints: org, roles, profiles, territories, currencies, layouts, pipeline, tags.

Each costs one credit (reference §8.2: "all other APIs"), has its own call kind and accepts its READ scope, its ALL
scope and (except org) ``ZohoCRM.settings.ALL``. Territories and currencies exist only when the org has the feature;
otherwise they answer the configured error (UNCONFIRMED code, see ``EmulatorConfig``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ZohoError, invalid_module
from .http_types import Request, Response, int_param
from .layouts import layout_json, pipelines_json
from .settings_json import currencies_json, org_json, profiles_json, roles_json, tags_json, territories_json

if TYPE_CHECKING:
    from .store import OrgStore


def settings_scopes(name: str) -> tuple[str, ...]:
    """Scopes accepted by ``/settings/{name}``."""
    return (f"ZohoCRM.settings.{name}.READ", f"ZohoCRM.settings.{name}.ALL", "ZohoCRM.settings.ALL")


SCOPES: dict[str, tuple[str, ...]] = {
    "org_meta": ("ZohoCRM.org.READ", "ZohoCRM.org.ALL"),
    "roles_meta": settings_scopes("roles"),
    "profiles_meta": settings_scopes("profiles"),
    "territories_meta": settings_scopes("territories"),
    "currencies_meta": settings_scopes("currencies"),
    "layouts_meta": settings_scopes("layouts"),
    "pipeline_meta": settings_scopes("pipeline"),
    "tags_meta": settings_scopes("tags"),
}
"""Call kind → accepted scopes."""


def missing_param(name: str) -> ZohoError:
    """400 REQUIRED_PARAM_MISSING as the settings documents spell it (``details.param``)."""
    return ZohoError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param": name})


def feature_off(error: tuple[int, str], message: str) -> Response:
    """Answer of an endpoint whose org feature is off: the configured error, or 204 when its status is 204."""
    status, code = error
    if status == 204:
        return 204, None, {}
    raise ZohoError(status, code, message, {})


class SettingsApi:
    """Handlers of the settings endpoints of one org."""

    def __init__(self, store: OrgStore) -> None:
        self.store = store
        self.config = store.config

    def org(self, req: Request) -> Response:
        """GET /org."""
        return 200, {"org": [org_json(self.store)]}, {}

    def roles(self, req: Request) -> Response:
        """GET /settings/roles."""
        return 200, {"roles": roles_json(self.store)}, {}

    def profiles(self, req: Request) -> Response:
        """GET /settings/profiles."""
        return 200, {"profiles": profiles_json(self.store)}, {}

    def territories(self, req: Request) -> Response:
        """GET /settings/territories (page, per_page, ids); only with territory management."""
        if not self.config.territories_enabled:
            return feature_off(self.config.territories_disabled_error, "Territory Management is not enabled")
        per_page = int_param(req.params, "per_page", 200, 1, 200)
        page = int_param(req.params, "page", 1, 1)
        rows = territories_json(self.store)
        if req.params.get("ids"):
            wanted = {i.strip() for i in req.params["ids"].split(",")}
            rows = [t for t in rows if t["id"] in wanted]
        chunk = rows[(page - 1) * per_page: page * per_page]
        if not chunk:
            return 204, None, {}
        info = {"per_page": per_page, "count": len(chunk), "page": page, "more_records": len(rows) > page * per_page}
        return 200, {"territories": chunk, "info": info}, {}

    def currencies(self, req: Request) -> Response:
        """GET /org/currencies; only in multi-currency orgs."""
        if not self.config.multi_currency:
            return feature_off(self.config.currencies_disabled_error, "Multi currency is not enabled")
        return 200, {"currencies": currencies_json(self.store)}, {}

    def layouts(self, req: Request) -> Response:
        """GET /settings/layouts?module=X."""
        name = req.params.get("module")
        if not name:
            raise missing_param("module")
        mdef = self.store.mdefs.get(name)
        if mdef is None or not mdef.api_supported or mdef.kind == "meta":
            raise invalid_module()
        with self.store.lock:
            return 200, {"layouts": [layout_json(self.store, mdef)]}, {}

    def pipeline(self, req: Request) -> Response:
        """GET /settings/pipeline?layout_id=L: pipelines of a Deals layout (documented errors: 400 for a missing or
        invalid layout id)."""
        layout_id = req.params.get("layout_id")
        if not layout_id:
            raise missing_param("layout_id")
        if layout_id != str(self.store.layout_id("Deals")):
            raise ZohoError(400, "INVALID_DATA", "Invalid layoutid", {"param_name": "layout_id"})  # v8 OAS example
        return 200, {"pipeline": pipelines_json(self.store, self.config.pipeline_maps_probability)}, {}

    def tags(self, req: Request) -> Response:
        """GET /settings/tags?module=X: the module's tags (modules without a Tag field → INVALID_MODULE)."""
        name = req.params.get("module")
        if not name:
            raise missing_param("module")
        mdef = self.store.mdefs.get(name)
        if mdef is None or not mdef.api_supported or mdef.field("Tag") is None:
            raise invalid_module()
        return 200, tags_json(self.store, name), {}
