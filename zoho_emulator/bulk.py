"""Bulk Read API: create job, poll, download a zipped CSV (zoho-crm-api.md §7)."""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import tempfile
import threading
import time
import zipfile
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import ZohoError, too_many_requests
from .http_types import Request, Response, parse_iso
from .oauth import module_scopes, require_scope
from .schema import ID_BASE, ModuleDef

if TYPE_CHECKING:
    from .store import OrgStore

BULK_ID_BASE = ID_BASE + 900_000_000
PREPARE_WAIT_SECONDS = 2.0  # a status call after the delay waits this long for a small export to be written
DATE_COMPARATORS = ("equal", "not_equal", "in", "not_in", "between", "not_between", "greater_than", "greater_equal",
                    "less_than", "less_equal")
OTHER_COMPARATORS = ("equal", "not_equal", "in", "not_in", "greater_than", "greater_equal", "less_than",
                     "less_equal", "contains", "not_contains", "starts_with", "ends_with")


def bulk_error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> ZohoError:
    """Bulk API errors use the same envelope."""
    return ZohoError(status, code, message, details or {})


@dataclass
class BulkJob:
    """A Bulk Read job and the snapshot of record ids it exports."""

    id: str
    module: str
    fields: list[str]
    criteria: dict[str, Any] | None
    page: int
    ids: list[int]
    more: bool
    next_token: str | None
    created: float
    created_real: float
    user: int
    archive: str | None = None
    """Path of the prepared zip once the export is written (Zoho prepares the file while the job runs)."""
    ready: threading.Event = field(default_factory=threading.Event)


class BulkApi:
    """Bulk Read jobs of one org."""

    def __init__(self, store: OrgStore) -> None:
        self.store = store
        self.config = store.config
        self.jobs: dict[str, BulkJob] = {}
        self._files = tempfile.TemporaryDirectory(prefix="zoho-emulator-bulk-")  # removed with the emulator
        self.page_tokens: dict[str, tuple[str, list[str], dict[str, Any] | None, int]] = {}
        self._downloads: deque[float] = deque()
        self._lock = threading.Lock()
        self._seq = 0

    # --- create ----------------------------------------------------------------------------------------------------
    def create(self, req: Request) -> Response:
        """POST /crm/bulk/v7/read → 201 ADDED_SUCCESSFULLY."""
        ctype = req.headers.get("content-type", "")
        if not ctype.lower().startswith("application/json"):
            raise bulk_error(415, "MEDIA_TYPE_NOT_SUPPORTED", "The Content-Type header is missing or not supported")
        if not req.body.strip():
            raise bulk_error(400, "REQUEST_BODY_IS_EMPTY", "request body is empty")
        try:
            body = json.loads(req.body)
        except ValueError:
            raise bulk_error(400, "REQUEST_BODY_NOT_READABLE", "the request body is not valid JSON") from None
        query = body.get("query") if isinstance(body, dict) else None
        if not isinstance(query, dict):
            raise bulk_error(400, "MANDATORY_NOT_FOUND", "required field not found",
                             {"api_name": "query", "json_path": "$.query"})
        file_type = body.get("file_type", "csv")
        if file_type not in ("csv", "ics"):
            raise bulk_error(400, "INVALID_DATA", "invalid file_type", {"api_name": "file_type",
                                                                         "json_path": "$.file_type"})
        if "page_token" in query:
            state = self.page_tokens.get(str(query["page_token"]))
            if state is None:
                raise bulk_error(400, "INVALID_DATA", "invalid page_token",
                                 {"api_name": "page_token", "json_path": "$.query.page_token"})
            module, fields, criteria, page = state
            mdef = self.store.mdefs[module]
        else:
            module = str((query.get("module") or {}).get("api_name", ""))
            if not module:
                raise bulk_error(400, "MANDATORY_NOT_FOUND", "required field not found",
                                 {"api_name": "module", "json_path": "$.query.module"})
            found = self.store.mdefs.get(module)
            if found is None or not found.api_supported or found.kind == "meta":
                raise bulk_error(400, "INVALID_DATA", "the module name given seems to be invalid",
                                 {"api_name": "module", "json_path": "$.query.module.api_name"})
            mdef = found
            if module == "Notes":
                raise bulk_error(400, "MODULE_NOT_SUPPORTED", "Bulk Read is not supported for this module")
            fields = [str(f) for f in query.get("fields") or []]
            for name in fields:
                if self._column(mdef, name) is None:
                    raise bulk_error(400, "INVALID_DATA", "invalid field", {"api_name": name,
                                                                            "json_path": "$.query.fields"})
            criteria = query.get("criteria")
            page = int(query.get("page", 1) or 1)
            if page < 1:
                raise bulk_error(400, "INVALID_DATA", "invalid page", {"api_name": "page", "json_path": "$.query.page"})
        granted = req.token.scopes if req.token else ()
        require_scope(granted, "ZohoCRM.bulk.READ", "ZohoCRM.bulk.ALL")
        require_scope(granted, *module_scopes(mdef.scope))
        if module in self.config.no_permission_modules:
            raise bulk_error(403, "NO_PERMISSION", "permission denied", {"permissions": [f"Crm_Implied_View_{module}"]})
        job = self._snapshot(mdef, fields, criteria, page, req.now)
        created_by = self._creator()
        details = {"id": job.id, "operation": "read", "state": "ADDED", "created_by": created_by,
                   "created_time": self.store.gen.dt(int(job.created))}
        return 201, {"data": [{"status": "success", "code": "ADDED_SUCCESSFULLY", "message": "Added successfully.",
                               "details": details}], "info": {}}, {}

    def _creator(self) -> dict[str, str]:
        admin = self.store.user_rows[0]
        return {"id": admin["id"], "name": admin["full_name"]}

    def _column(self, mdef: ModuleDef, name: str) -> str | None:
        """Validate a column: a field, or ``lookup.field`` dot notation."""
        base, _, sub = name.partition(".")
        f = mdef.field(base)
        if name == "id":
            return name
        if f is None or f.detail_only:
            return None
        if sub and f.data_type not in ("lookup", "ownerlookup", "userlookup"):
            return None
        return name

    def _matches(self, mdef: ModuleDef, st: Any, criteria: dict[str, Any] | None) -> bool:
        if not criteria:
            return True
        if "group" in criteria:
            results = [self._matches(mdef, st, c) for c in criteria.get("group") or []]
            op = criteria.get("group_operator", "and")
            if op not in ("and", "or"):
                raise bulk_error(400, "GROUP_OPERATOR_NOT_SUPPORTED", "group operator not supported")
            return all(results) if op == "and" else any(results)
        field = (criteria.get("field") or {}).get("api_name") or criteria.get("api_name")
        comparator = criteria.get("comparator")
        value = criteria.get("value")
        f = mdef.field(str(field)) if field else None
        if f is None:
            raise bulk_error(400, "INVALID_CRITERIA", "invalid field in criteria", {"api_name": str(field)})
        if f.data_type in ("datetime", "date"):
            if comparator not in DATE_COMPARATORS:
                raise bulk_error(400, "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED", "comparator not supported",
                                 {"api_name": f.api_name, "comparator": str(comparator)})
            current = self.store.gen.value(mdef, st, f)
            if current is None:
                return comparator in ("not_equal", "not_in", "not_between")
            actual = datetime.fromisoformat(current).timestamp()
            return compare(actual, comparator, value, parse_when)
        if comparator not in OTHER_COMPARATORS:
            raise bulk_error(400, "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED", "comparator not supported",
                             {"api_name": f.api_name, "comparator": str(comparator)})
        current = self.store.gen.value(mdef, st, f)
        if isinstance(current, dict):
            current = current.get("id")
        return compare(current, comparator, value, lambda v: v)

    def _snapshot(self, mdef: ModuleDef, fields: list[str], criteria: dict[str, Any] | None, page: int,
                  now: float) -> BulkJob:
        with self.store.lock:
            states = sorted((st for st in self.store.live(mdef.api_name) if self._matches(mdef, st, criteria)),
                            key=lambda s: s.id)
        size = self.config.bulk_page_size
        chunk = [st.id for st in states[(page - 1) * size: page * size]]
        more = len(states) > page * size
        token = None
        if more:
            token = secrets.token_hex(18)
            self.page_tokens[token] = (mdef.api_name, fields, criteria, page + 1)
        with self._lock:
            self._seq += 1
            job_id = str(BULK_ID_BASE + self._seq * 7)  # own id space: jobs must not shift record ids
        job = BulkJob(job_id, mdef.api_name, fields, criteria, page, chunk, more, token, now, time.monotonic(), 0)
        with self._lock:
            self.jobs[job_id] = job
        threading.Thread(target=self._prepare, args=(job,), name=f"bulk-{job_id}", daemon=True).start()
        return job

    # --- status ----------------------------------------------------------------------------------------------------
    def state(self, job: BulkJob, now: float) -> str:
        """ADDED → IN PROGRESS → COMPLETED after bulk_delay (real or emulator time, whichever ran further)."""
        elapsed = max(time.monotonic() - job.created_real, now - job.created)
        delay = self.config.bulk_delay
        # a big export is still being written when the delay is over: IN PROGRESS until the file is ready
        if elapsed >= delay and job.ready.wait(timeout=PREPARE_WAIT_SECONDS):
            return "FAILURE" if job.module in self.config.bulk_failure_modules else "COMPLETED"
        return "IN PROGRESS" if elapsed >= delay / 2 else "ADDED"

    def _job(self, job_id: str) -> BulkJob:
        with self._lock:
            job = self.jobs.get(job_id)
        if job is None:
            raise bulk_error(404, "RESOURCE_NOT_FOUND", "The requested resource doesn't exist.", {"resource": job_id})
        return job

    def status(self, req: Request, job_id: str) -> Response:
        """GET /crm/bulk/v7/read/{id}."""
        job = self._job(job_id)
        state = self.state(job, req.now)
        item: dict[str, Any] = {
            "id": job.id, "operation": "read", "state": state,
            "query": {"module": {"api_name": job.module, "id": str(self.store.meta_id(f"module:{job.module}"))},
                      "page": job.page, "cvid": None, "fields": job.fields, "criteria": job.criteria},
            "created_by": self._creator(), "created_time": self.store.gen.dt(int(job.created)), "file_type": "csv",
        }
        if state == "COMPLETED":
            item["result"] = {"page": job.page, "per_page": self.config.bulk_page_size, "count": len(job.ids),
                              "download_url": f"/crm/bulk/v7/read/{job.id}/result", "more_records": job.more,
                              "next_page_token": job.next_token}
        return 200, {"data": [item]}, {}

    # --- download --------------------------------------------------------------------------------------------------
    def download(self, req: Request, job_id: str) -> Response:
        """GET /crm/bulk/v7/read/{id}/result → zip with {id}.csv; more than N downloads a minute → 429."""
        job = self._job(job_id)
        if self.state(job, req.now) != "COMPLETED":
            raise bulk_error(400, "RESOURCE_NOT_FOUND", "The job is not completed yet", {"resource": "result"})
        with self._lock:
            while self._downloads and req.now - self._downloads[0] >= 60:
                self._downloads.popleft()
            if len(self._downloads) >= self.config.bulk_download_per_minute:
                raise too_many_requests("Bulk Read download limit per minute exceeded")
            self._downloads.append(req.now)
        with open(str(job.archive), "rb") as f:
            payload = f.read()
        return 200, payload, {"Content-Type": "application/zip",
                              "Content-Disposition": f'attachment; filename="{job.id}.zip"'}

    def _prepare(self, job: BulkJob) -> None:
        """Write the job's zip (`{id}.csv` inside) to a file, streamed: the values of the snapshot's records now."""
        mdef = self.store.mdefs[job.module]
        columns = job.fields or [f.api_name for f in mdef.fields if not f.detail_only]
        columns = ["id"] + [c for c in columns if c != "id"]
        ms = self.store.module(job.module)
        path = os.path.join(self._files.name, f"{job.id}.zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open(f"{job.id}.csv", "w") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(columns)
            for rid in job.ids:
                st = ms.by_id.get(rid)
                if st is None:
                    continue
                writer.writerow([self._cell(mdef, st, c) for c in columns])
            text.flush()
            text.detach()
        job.archive = path
        job.ready.set()

    def _cell(self, mdef: ModuleDef, st: Any, column: str) -> str:
        if column == "id":
            return str(st.id)
        base, _, sub = column.partition(".")
        f = mdef.field(base)
        if f is None:
            return ""
        v = self.store.gen.value(mdef, st, f)
        if sub:
            v = self._dotted(f.lookup, f.data_type, v, sub)
        return csv_value(v)

    def _dotted(self, target: str | None, data_type: str, ref: Any, sub: str) -> Any:
        if not isinstance(ref, dict):
            return None
        if data_type in ("ownerlookup", "userlookup"):
            user = next((u for u in self.store.user_rows if u["id"] == ref.get("id")), None)
            return user.get(sub) if user else None
        ms = self.store.modules.get(target or "")
        if ms is None:
            return None
        st = ms.by_id.get(int(ref["id"]))
        f = ms.mdef.field(sub)
        return self.store.gen.value(ms.mdef, st, f) if st is not None and f is not None else None


def csv_value(v: Any) -> str:
    """Bulk CSV rendering: lookups as their id, booleans lower-case, arrays ';'-joined, null empty."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return str(v.get("id", ""))
    if isinstance(v, list):
        return ";".join(str(x.get("name", "")) if isinstance(x, dict) else str(x) for x in v)
    return str(v)


def parse_when(v: Any) -> float:
    """Criteria datetime value (ISO-8601 without milliseconds) → epoch."""
    try:
        dt = parse_iso(str(v))
    except ValueError:
        raise bulk_error(400, "INVALID_CRITERIA", "invalid datetime in criteria", {"value": str(v)}) from None
    if "." in str(v) or dt.tzinfo is None:
        raise bulk_error(400, "INVALID_CRITERIA", "datetime must be ISO-8601 with offset, no milliseconds")
    return dt.timestamp()


def compare(actual: Any, comparator: str, value: Any, conv: Any) -> bool:
    """Evaluate one criteria comparator."""
    if comparator in ("between", "not_between"):
        if not isinstance(value, list) or len(value) != 2:
            raise bulk_error(400, "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", "between needs two values")
        lo, hi = conv(value[0]), conv(value[1])
        inside = lo <= actual <= hi
        return inside if comparator == "between" else not inside
    if comparator in ("in", "not_in"):
        values = [conv(v) for v in (value if isinstance(value, list) else [value])]
        return (actual in values) == (comparator == "in")
    if comparator in ("contains", "not_contains", "starts_with", "ends_with"):
        text, needle = str(actual or ""), str(value)
        result = {"contains": needle in text, "not_contains": needle not in text,
                  "starts_with": text.startswith(needle), "ends_with": text.endswith(needle)}
        return result[comparator]
    target = conv(value)
    if comparator == "equal":
        return bool(actual == target)
    if comparator == "not_equal":
        return bool(actual != target)
    if actual is None:
        return False
    try:
        return {"greater_than": actual > target, "greater_equal": actual >= target, "less_than": actual < target,
                "less_equal": actual <= target}[comparator]
    except TypeError:
        raise bulk_error(400, "COMPARATOR_AND_VALUE_IN_CRITERIA_NOT_COMPATIBLE", "incompatible value") from None
