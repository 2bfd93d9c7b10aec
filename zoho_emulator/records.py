"""Get Records (list, ``?ids=``), Get Record and Get Deleted Records (zoho-crm-api.md §1–§3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import ZohoError, invalid_data, limit_exceeded, query_path, required_param
from .http_types import Request, Response, choice_param, int_param, parse_ims
from .pagination import Chain, TokenBook, walk
from .schema import ModuleDef

if TYPE_CHECKING:
    from .store import OrgStore

SORT_BY = ("id", "Created_Time", "Modified_Time")
TRI = ("true", "false", "both")


def no_content(ims_given: bool, ims_status: int) -> Response:
    """Empty answer: 204, or the configured status when an If-Modified-Since header filtered everything."""
    return (ims_status if ims_given else 204), None, {}


class RecordsApi:
    """Record endpoints of one org."""

    def __init__(self, store: OrgStore) -> None:
        self.store = store
        self.config = store.config
        self.tokens = TokenBook()

    # --- helpers ---------------------------------------------------------------------------------------------------
    def field_names(self, mdef: ModuleDef, raw: str) -> list[str]:
        """Parse ``fields``: ≤ max_fields names (LIMIT_EXCEEDED), unknown ones per ``unknown_field_mode``."""
        names = [n.strip() for n in raw.split(",") if n.strip()]
        if not names:
            raise required_param("fields")
        if len(names) > self.config.max_fields:
            raise limit_exceeded("fields", self.config.max_fields, "Max field limit exceeded")
        if self.config.unknown_field_mode == "error":
            for n in names:
                if n != "id" and not n.startswith("$") and mdef.field(n) is None:
                    raise invalid_data(n, "invalid field name", where="query.fields")
        return [n for n in names if n != "id"]

    def filters(self, p: dict[str, str], ims: float | None, converted_filter: bool = True,
                approval_filter: bool = True) -> Callable[[Any], bool]:
        """Predicate for ``converted``, ``approved`` and If-Modified-Since."""
        converted = choice_param(p, "converted", "false", TRI) if converted_filter else "both"
        default_approved = "true" if self.config.hide_unapproved else "both"
        approved = choice_param(p, "approved", default_approved, TRI) if approval_filter else "both"
        inclusive = self.config.ims_inclusive

        def keep(it: Any) -> bool:
            conv = getattr(it, "converted", None)
            if (converted == "false" and conv is not None) or (converted == "true" and conv is None):
                return False
            state = getattr(it, "approval", "approved")
            if (approved == "true" and state != "approved") or (approved == "false" and state == "approved"):
                return False
            return not (ims is not None and (it.modified < ims if inclusive else it.modified <= ims))
        return keep

    def render(self, mdef: ModuleDef, it: Any, names: list[str] | None, list_mode: bool) -> dict[str, Any]:
        """Record (or subform row) JSON."""
        if hasattr(it, "row"):
            row = it.row
            wanted = [f.api_name for f in mdef.fields] if names is None else names
            out = {n: row.get(n) for n in wanted if mdef.field(n) is not None}
            out["id"] = row["id"]
            return out
        return self.store.gen.record(mdef, it, names, list_mode=list_mode,
                                     rich_limit=self.config.rich_text_list_limit)

    def info(self, **kw: Any) -> dict[str, Any]:
        """The ``info`` object of Get Records (every key the v8 OAS marks required)."""
        base = {"per_page": 0, "count": 0, "page": 1, "sort_by": "id", "sort_order": "desc", "more_records": False,
                "next_page_token": None, "previous_page_token": None, "page_token_expiry": None, "call": False,
                "email": False}
        base.update(kw)
        return base

    # --- GET /{module} ---------------------------------------------------------------------------------------------
    def list(self, req: Request, mdef: ModuleDef) -> Response:
        """Dispatch between the list call and ``?ids=`` (the router counts the latter as kind ``detail``)."""
        if "ids" in req.params:
            return self.by_ids(req, mdef)
        return self.list_records(req, mdef)

    def list_records(self, req: Request, mdef: ModuleDef) -> Response:
        """Get Records: fields, sorting, filters, page / page_token pagination, If-Modified-Since."""
        cfg = self.config
        p = req.params
        if not p.get("fields"):
            raise required_param("fields")
        names = self.field_names(mdef, p["fields"])
        sort_by = choice_param(p, "sort_by", "id", SORT_BY)
        sort_order = choice_param(p, "sort_order", "desc", ("asc", "desc"))
        per_page = int_param(p, "per_page", cfg.max_per_page, 1, cfg.max_per_page)
        if "page" in p and "page_token" in p:
            raise ZohoError(400, "AMBIGUITY_DURING_PROCESSING", "ambiguity while processing the request",
                            {"ambiguity_due_to": [query_path("page"), query_path("page_token")]})
        ims_raw = req.headers.get("if-modified-since")
        ims = parse_ims(ims_raw, cfg)
        keep = self.filters(p, ims)
        # `page` is excluded: a token replaces it (page=10 → token → records 2001-2200)
        signature = tuple(sorted((k, v) for k, v in p.items() if k not in ("page", "page_token")))
        user = req.token.refresh_token if req.token else ""
        token_value = p.get("page_token")
        if token_value is not None:
            tok = self.tokens.get(token_value)
            if tok is None or tok.user != user:
                raise invalid_data("page_token", "invalid page_token")
            if req.now >= tok.created + cfg.page_token_ttl:
                raise ZohoError(400, "EXPIRED_VALUE", "page_token is valid only for 24 hours from the time it was "
                                "generated", query_path("page_token"))
            if tok.signature != signature or (cfg.token_binds_ims_header and tok.ims != ims_raw):
                raise ZohoError(400, "TOKEN_BOUND_DATA_MISMATCH", "the given page_token is bound to other request "
                                "parameters", {"param_name": "page_token"})
            if tok.offset >= cfg.token_record_cap:
                raise ZohoError(400, "PAGINATION_LIMIT_EXCEEDED", "you have reached the maximum number of records "
                                "that can be fetched using page_token", {"param_name": "page_token"})
            chain, page_no, offset, after, skip = tok.chain, tok.page, tok.offset, tok.after, 0
            limit = min(per_page, cfg.token_record_cap - offset)
        else:
            page_no = int_param(p, "page", 1, 1)
            if page_no * per_page > cfg.discrete_limit:
                raise ZohoError(400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED", f"You can only get the first "
                                f"{cfg.discrete_limit} records without using page_token param",
                                {"limit": cfg.discrete_limit})
            offset = skip = (page_no - 1) * per_page
            chain, after, limit = Chain(), None, per_page
        keys, items = self.store.sorted_items(mdef.api_name, sort_by)
        page, more, last_skipped = walk(keys, items, after, sort_order == "desc", keep, skip, limit)
        if not page:
            return no_content(ims_raw is not None, cfg.ims_nothing_status)
        if token_value is None:
            chain.starts[page_no], chain.offsets[page_no] = last_skipped, offset
        next_token = prev_token = expiry = None
        by_token = token_value is not None
        wants_next = cfg.next_page_token_mode == "always" or by_token or page_no * per_page >= cfg.discrete_limit
        if more and wants_next:
            chain.starts[page_no + 1], chain.offsets[page_no + 1] = page[-1][0], offset + len(page)
            next_token = self.tokens.issue(chain, page_no + 1, signature, ims_raw, user, req.now)
        if by_token and page_no - 1 in chain.starts:
            prev_token = self.tokens.issue(chain, page_no - 1, signature, ims_raw, user, req.now)
        if next_token or prev_token:
            expiry = self.store.gen.dt(int(req.now + cfg.page_token_ttl))
        data = [self.render(mdef, it, names, list_mode=True) for _, it in page]
        info = self.info(per_page=per_page, count=len(data), page=page_no, sort_by=sort_by, sort_order=sort_order,
                         more_records=more, next_page_token=next_token, previous_page_token=prev_token,
                         page_token_expiry=expiry)
        return 200, {"data": data, "info": info}, {}

    # --- GET /{module}?ids= ---------------------------------------------------------------------------------------
    def by_ids(self, req: Request, mdef: ModuleDef) -> Response:
        """Records by id: unknown/deleted ids are left out; full detail records when ``ids_full_records``."""
        cfg = self.config
        p = req.params
        raw_ids = [i.strip() for i in p.get("ids", "").split(",") if i.strip()]
        if not raw_ids:
            raise required_param("ids")
        if len(raw_ids) > cfg.max_ids:
            raise limit_exceeded("ids", cfg.max_ids, f"You cannot give more than {cfg.max_ids} record ids")
        for i in raw_ids:
            if not i.isdigit():
                raise invalid_data("ids", "the id given seems to be invalid")
        if cfg.ids_require_fields and not p.get("fields"):
            raise required_param("fields")
        names = self.field_names(mdef, p["fields"]) if p.get("fields") else None
        ims_raw = req.headers.get("if-modified-since")
        keep = self.filters(p, parse_ims(ims_raw, cfg), cfg.ids_apply_converted_filter, cfg.ids_apply_approval_filter)
        ms = self.store.module(mdef.api_name)
        found = []
        seen: set[int] = set()
        for i in raw_ids:
            st = ms.by_id.get(int(i))
            if cfg.ids_unknown == "invalid_data" and (st is None or st.deleted):
                raise invalid_data("ids", f"the id given seems to be invalid: {i}")
            if st is not None and not st.deleted and st.id not in seen and keep(st):
                seen.add(st.id)
                found.append(st)
        if not found:
            return no_content(ims_raw is not None, cfg.ims_nothing_status)
        if cfg.ids_full_records:
            data = [self.render(mdef, st, names, list_mode=False) for st in found]
        else:
            data = [self.render(mdef, st, names or [f.api_name for f in mdef.fields], list_mode=True) for st in found]
        return 200, {"data": data, "info": self.info(per_page=len(data), count=len(data))}, {}

    # --- GET /{module}/{id} ---------------------------------------------------------------------------------------
    def record(self, req: Request, mdef: ModuleDef, rid: str) -> Response:
        """One full record (subforms, line items, multi-select lookups included); 204 when absent."""
        if not rid.isdigit():
            raise invalid_data("id", "the id given seems to be invalid", where="path")
        names = self.field_names(mdef, req.params["fields"]) if req.params.get("fields") else None
        st = self.store.module(mdef.api_name).by_id.get(int(rid))
        if st is None or st.deleted:
            return 204, None, {}
        return 200, {"data": [self.render(mdef, st, names, list_mode=False)]}, {}

    # --- GET /{module}/deleted ------------------------------------------------------------------------------------
    def deleted(self, req: Request, mdef: ModuleDef) -> Response:
        """Deleted records: type all|recycle|permanent, page/per_page, If-Modified-Since on deleted_time."""
        cfg = self.config
        p = req.params
        kind = p.get("type", "all")
        if kind not in ("all", "recycle", "permanent"):
            raise ZohoError(400, "PATTERN_NOT_MATCHED", "Please check whether the input values are correct",
                            {"api_name": "type", "json_path": "$.query.type"})
        per_page = int_param(p, "per_page", cfg.max_per_page, 1, cfg.max_per_page)
        page = int_param(p, "page", 1, 1)
        if cfg.deleted_page_limit is not None and page * per_page > cfg.deleted_page_limit:
            raise ZohoError(400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED", f"You can only get the first "
                            f"{cfg.deleted_page_limit} records", {"limit": cfg.deleted_page_limit})
        ims_raw = req.headers.get("if-modified-since")
        ims = parse_ims(ims_raw, cfg)
        entries = [e for e in self.store.visible_deleted(mdef.api_name) if kind == "all" or e.type == kind]
        if ims is not None:
            entries = [e for e in entries if (e.deleted_time >= ims if cfg.ims_inclusive else e.deleted_time > ims)]
        chunk = entries[(page - 1) * per_page: page * per_page]
        if not chunk:
            return no_content(ims_raw is not None, cfg.deleted_ims_nothing_status)
        data = [self.store.deleted_json(e) for e in chunk]
        info = {"per_page": per_page, "count": len(data), "page": page,
                "more_records": len(entries) > page * per_page}
        return 200, {"data": data, "info": info}, {}
