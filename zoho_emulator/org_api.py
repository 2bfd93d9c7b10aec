"""Metadata (/settings/modules, /settings/fields) and Get Users (zoho-crm-api.md §4, §12)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ZohoError, invalid_module, limit_exceeded, required_param
from .http_types import Request, Response, choice_param, int_param, parse_ims
from .metadata import fields_json, module_meta, modules_json

if TYPE_CHECKING:
    from .store import OrgStore

USER_TYPES = ("AllUsers", "ActiveUsers", "DeactiveUsers", "ConfirmedUsers", "NotConfirmedUsers", "DeletedUsers",
              "ActiveConfirmedUsers", "AdminUsers", "ActiveConfirmedAdmins", "CurrentUser")
MODULE_STATUSES = ("user_hidden", "system_hidden", "scheduled_for_deletion", "visible")


def user_matches(row: dict[str, object], kind: str, index: int) -> bool:
    """Whether a user belongs to a Get Users ``type``."""
    active = row["status"] == "active"
    admin = row["profile"]["name"] == "Administrator"  # type: ignore[index]
    confirmed = bool(row["confirm"])
    return {
        "AllUsers": row["status"] != "deleted", "ActiveUsers": active, "DeactiveUsers": row["status"] == "disabled",
        "ConfirmedUsers": confirmed, "NotConfirmedUsers": not confirmed, "DeletedUsers": row["status"] == "deleted",
        "ActiveConfirmedUsers": active and confirmed, "AdminUsers": admin,
        "ActiveConfirmedAdmins": active and confirmed and admin, "CurrentUser": index == 0,
    }[kind]


class OrgApi:
    """Metadata and users endpoints."""

    def __init__(self, store: OrgStore) -> None:
        self.store = store

    def modules(self, req: Request) -> Response:
        """GET /settings/modules (optional ``status`` filter, comma-separated)."""
        raw = req.params.get("status")
        statuses = None
        if raw is not None:
            statuses = {s.strip() for s in raw.split(",") if s.strip()}
            if not statuses or not statuses <= set(MODULE_STATUSES):
                raise ZohoError(400, "INVALID_DATA", "invalid value for status",
                                {"api_name": "status", "json_path": "$.query.status"})
        return 200, {"modules": modules_json(self.store, statuses)}, {}

    def module(self, req: Request, api_name: str) -> Response:
        """GET /settings/modules/{api_name}."""
        mdef = self.store.mdefs.get(api_name)
        if mdef is None:
            raise invalid_module()
        seq = list(self.store.mdefs).index(api_name) + 1
        return 200, {"modules": [module_meta(self.store, mdef, seq, detail=True)]}, {}

    def fields(self, req: Request) -> Response:
        """GET /settings/fields?module=X (type used|unused|all)."""
        name = req.params.get("module")
        if not name:
            raise required_param("module")
        mdef = self.store.mdefs.get(name)
        if mdef is None or not mdef.api_supported:
            raise invalid_module()
        kind = choice_param(req.params, "type", "used", ("used", "unused", "all"))
        if kind == "unused":
            return 204, None, {}
        with self.store.lock:
            return 200, {"fields": fields_json(self.store, mdef)}, {}

    def users(self, req: Request, user_id: str | None = None) -> Response:
        """GET /users (type, page, per_page, ids, If-Modified-Since on Modified_Time) and GET /users/{id}."""
        store, cfg, p = self.store, self.store.config, req.params
        rows = list(enumerate(store.user_rows))
        if user_id is not None:
            rows = [(i, r) for i, r in rows if r["id"] == user_id]
            if not rows:
                return 204, None, {}
            return 200, {"users": [store.user_json(rows[0][0])]}, {}
        kind = choice_param(p, "type", "AllUsers", USER_TYPES)
        per_page = int_param(p, "per_page", cfg.max_per_page, 1, cfg.max_per_page)
        page = int_param(p, "page", 1, 1)
        rows = [(i, r) for i, r in rows if user_matches(r, kind, i)]
        if "ids" in p:
            ids = [x.strip() for x in p["ids"].split(",") if x.strip()]
            if len(ids) > 100:
                raise limit_exceeded("ids", 100, "You can specify up to 100 user IDs")
            rows = [(i, r) for i, r in rows if r["id"] in ids]
        ims_raw = req.headers.get("if-modified-since")
        ims = parse_ims(ims_raw, cfg)
        if ims is not None:
            rows = [(i, r) for i, r in rows
                    if (store.user_times[i][1] >= ims if cfg.ims_inclusive else store.user_times[i][1] > ims)]
        chunk = rows[(page - 1) * per_page: page * per_page]
        if not chunk:
            return (cfg.ims_nothing_status if ims_raw is not None else 204), None, {}
        info = {"per_page": per_page, "count": len(chunk), "page": page, "more_records": len(rows) > page * per_page}
        return 200, {"users": [store.user_json(i) for i, _ in chunk], "info": info}, {}
