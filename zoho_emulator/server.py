"""HTTP layer: routing, the /crm pipeline (limits → faults → auth → handler → credits) and the accounts server."""

from __future__ import annotations

import json
import re
import time
import traceback
from collections.abc import Callable, Mapping
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from .errors import ZohoError, invalid_module, too_many_requests, url_pattern
from .http_types import Request, Response
from .oauth import module_scopes, require_scope
from .settings_api import SCOPES as SETTINGS_SCOPES

if TYPE_CHECKING:
    from .accounting import Accounting
    from .bulk import BulkApi
    from .config import EmulatorConfig
    from .coql import CoqlApi
    from .faults import FaultInjector
    from .oauth import OAuth
    from .org_api import OrgApi
    from .records import RecordsApi
    from .schema import ModuleDef
    from .settings_api import SettingsApi
    from .store import Clock

DROP = object()
"""Sentinel: close the connection without answering."""
BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    b"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
DAILY_LIMIT_MESSAGE = "Number of API requests for the 24 hour period is exceeded"
CONCURRENCY_MESSAGE = "The concurrency limit of the user for the app is exceeded"
AMBIGUOUS_429_MESSAGE = "Too many requests"
DOCUMENTED_429_MESSAGE = f"{DAILY_LIMIT_MESSAGE} or the {CONCURRENCY_MESSAGE[4:]}"


class Truncated(tuple):
    """(status, body, headers) to send with the full Content-Length but only half the body, then close."""

Handler = Callable[[Request, "re.Match[str]"], Response]
"""An endpoint handler: the response only (the call kind is the route's, from ``Router.resolve``)."""
LOGGED_HEADERS = ("If-Modified-Since", "Content-Type")
CREDITS_HEADER = "X-API-CREDITS-REMAINING"
SETTINGS_ROUTES = (
    (r"^/crm/v7/org$", "org_meta", "org"),
    (r"^/crm/v7/org/currencies$", "currencies_meta", "currencies"),
    (r"^/crm/v7/settings/roles$", "roles_meta", "roles"),
    (r"^/crm/v7/settings/profiles$", "profiles_meta", "profiles"),
    (r"^/crm/v7/settings/territories$", "territories_meta", "territories"),
    (r"^/crm/v7/settings/layouts$", "layouts_meta", "layouts"),
    (r"^/crm/v7/settings/pipeline$", "pipeline_meta", "pipeline"),
    (r"^/crm/v7/settings/tags$", "tags_meta", "tags"),
)
"""(path, call kind, SettingsApi method) of the settings endpoints; matched before the record routes."""


class Router:
    """Maps (method, path) to an endpoint kind and handler; the handlers call the endpoint objects they are given."""

    def __init__(self, mdefs: Mapping[str, ModuleDef], config: EmulatorConfig, *, records_api: RecordsApi,
                 org_api: OrgApi, bulk_api: BulkApi, coql_api: CoqlApi, settings_api: SettingsApi) -> None:
        self.mdefs = mdefs
        self.config = config
        self.records_api = records_api
        self.org_api = org_api
        self.bulk_api = bulk_api
        self.coql_api = coql_api
        self.settings_api = settings_api
        self.routes: list[tuple[re.Pattern[str], str, str, Handler]] = [
            (re.compile(path), "GET", kind, self.setting(kind, method)) for path, kind, method in SETTINGS_ROUTES]
        self.routes += [
            (re.compile(r"^/crm/v7/settings/modules$"), "GET", "modules_meta", self.modules),
            (re.compile(r"^/crm/v7/settings/modules/([^/]+)$"), "GET", "modules_meta", self.module),
            (re.compile(r"^/crm/v7/settings/fields$"), "GET", "fields_meta", self.fields),
            (re.compile(r"^/crm/v7/users$"), "GET", "users", self.users),
            (re.compile(r"^/crm/v7/users/(\d+)$"), "GET", "users", self.users),
            (re.compile(r"^/crm/v7/coql$"), "POST", "coql", self.coql),
            (re.compile(r"^/crm/bulk/v7/read$"), "POST", "bulk_create", self.bulk_create),
            (re.compile(r"^/crm/bulk/v7/read/([^/]+)$"), "GET", "bulk_status", self.bulk_status),
            (re.compile(r"^/crm/bulk/v7/read/([^/]+)/result$"), "GET", "bulk_download", self.bulk_download),
            (re.compile(r"^/crm/v7/([^/]+)/deleted$"), "GET", "deleted", self.deleted),
            (re.compile(r"^/crm/v7/([^/]+)/([^/]+)$"), "GET", "record", self.record),
            (re.compile(r"^/crm/v7/([^/]+)$"), "GET", "list", self.list),
        ]

    def resolve(self, method: str, path: str, params: dict[str, str]) -> tuple[str, Handler | None, Any]:
        """Return (kind, handler or None for a wrong method, match); raises 404 INVALID_URL_PATTERN."""
        for pattern, allowed, kind, handler in self.routes:
            m = pattern.match(path)
            if m is None:
                continue
            if kind == "list" and "ids" in params:
                kind = "detail"
            return kind, (handler if method == allowed else None), m
        raise url_pattern()

    # --- module checks ---------------------------------------------------------------------------------------------
    def data_module(self, req: Request, name: str, listing: bool = False) -> Any:
        """Resolve a record module and apply scope / permission / Notes-admin checks."""
        mdef = self.mdefs.get(name)
        if mdef is None or not mdef.api_supported or mdef.kind == "meta" or (
                not listing and mdef.kind not in ("data", "tracker")):
            raise invalid_module()
        require_scope(req.token.scopes if req.token else (), *module_scopes(mdef.scope))
        if name in self.config.no_permission_modules:
            raise ZohoError(403, "NO_PERMISSION", "permission denied", {"permissions": [f"Crm_Implied_View_{name}"]})
        if name == "Notes" and not self.config.is_admin:
            raise ZohoError(403, "NOT_SUPPORTED", "Only admin users can fetch notes")
        return mdef

    # --- handlers ----------------------------------------------------------------------------------------------------
    def setting(self, kind: str, method: str) -> Handler:
        """Handler of one settings endpoint: its scope check, then ``SettingsApi.<method>``."""
        def handle(req: Request, m: re.Match[str]) -> Response:
            require_scope(req.token.scopes if req.token else (), *SETTINGS_SCOPES[kind])
            return getattr(self.settings_api, method)(req)
        return handle

    def modules(self, req: Request, m: re.Match[str]) -> Response:
        """GET /settings/modules."""
        require_scope(req.token.scopes if req.token else (), "ZohoCRM.settings.ALL", "ZohoCRM.settings.modules.READ",
                      "ZohoCRM.settings.modules.ALL")
        return self.org_api.modules(req)

    def module(self, req: Request, m: re.Match[str]) -> Response:
        """GET /settings/modules/{api_name}."""
        require_scope(req.token.scopes if req.token else (), "ZohoCRM.settings.ALL", "ZohoCRM.settings.modules.READ",
                      "ZohoCRM.settings.modules.ALL")
        return self.org_api.module(req, m.group(1))

    def fields(self, req: Request, m: re.Match[str]) -> Response:
        """GET /settings/fields."""
        require_scope(req.token.scopes if req.token else (), "ZohoCRM.settings.ALL", "ZohoCRM.settings.fields.READ",
                      "ZohoCRM.settings.fields.ALL")
        return self.org_api.fields(req)

    def users(self, req: Request, m: re.Match[str]) -> Response:
        """GET /users and /users/{id}."""
        require_scope(req.token.scopes if req.token else (), "ZohoCRM.users.READ", "ZohoCRM.users.ALL")
        return self.org_api.users(req, m.group(1) if m.groups() else None)

    def list(self, req: Request, m: re.Match[str]) -> Response:
        """GET /{module} (list or ?ids=)."""
        mdef = self.data_module(req, m.group(1), listing=True)
        return self.records_api.list(req, mdef)

    def record(self, req: Request, m: re.Match[str]) -> Response:
        """GET /{module}/{id}."""
        mdef = self.data_module(req, m.group(1))
        return self.records_api.record(req, mdef, m.group(2))

    def deleted(self, req: Request, m: re.Match[str]) -> Response:
        """GET /{module}/deleted."""
        mdef = self.data_module(req, m.group(1))
        return self.records_api.deleted(req, mdef)

    def coql(self, req: Request, m: re.Match[str]) -> Response:
        """POST /coql (record counts)."""
        return self.coql_api.query(req)

    def bulk_create(self, req: Request, m: re.Match[str]) -> Response:
        """POST /crm/bulk/v7/read."""
        return self.bulk_api.create(req)

    def bulk_status(self, req: Request, m: re.Match[str]) -> Response:
        """GET /crm/bulk/v7/read/{id}."""
        require_scope(req.token.scopes if req.token else (), "ZohoCRM.bulk.READ", "ZohoCRM.bulk.ALL")
        return self.bulk_api.status(req, m.group(1))

    def bulk_download(self, req: Request, m: re.Match[str]) -> Response:
        """GET /crm/bulk/v7/read/{id}/result."""
        require_scope(req.token.scopes if req.token else (), "ZohoCRM.bulk.READ", "ZohoCRM.bulk.ALL")
        return self.bulk_api.download(req, m.group(1))


class Core:
    """Request pipeline shared by all handler threads."""

    def __init__(self, router: Router, clock: Clock, oauth: OAuth, acct: Accounting, faults: FaultInjector,
                 config: EmulatorConfig) -> None:
        self.router = router
        self.clock = clock
        self.oauth = oauth
        self.acct = acct
        self.faults = faults
        self.config = config

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Any:
        """Process one request; returns (status, body bytes, headers) or ``DROP``."""
        url = urlsplit(target)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        if url.path == "/oauth/v2/token":
            return self.token(method, url.path, params, headers, body)
        if not url.path.startswith("/crm/"):
            err = url_pattern()
            return err.status, err.encoded(), {"Content-Type": "application/json;charset=UTF-8"}
        return self.crm(method, url.path, params, headers, body)

    def log(self, method: str, path: str, kind: str, params: dict[str, str], headers: dict[str, str],
            status: int) -> None:
        """Append to the request log."""
        logged = {h: headers[h.lower()] for h in LOGGED_HEADERS if h.lower() in headers}
        self.acct.log({"method": method, "path": path, "kind": kind, "params": params, "headers": logged,
                           "status": status, "ts": self.clock.epoch()})

    def token(self, method: str, path: str, params: dict[str, str], headers: dict[str, str],
              body: bytes) -> Any:
        """Accounts server: ``POST /oauth/v2/token`` with query-string or form parameters."""
        self.acct.call("token")
        if method != "POST":
            status, payload = 200, {"error": "invalid_request"}
        else:
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)) if body else {}
            status, payload = self.oauth.grant({**params, **form}, self.clock.epoch())
        redacted = {k: ("***" if k in ("client_secret", "refresh_token") else v) for k, v in params.items()}
        self.log(method, path, "token", redacted, headers, status)
        return status, json.dumps(payload).encode(), {"Content-Type": "application/json;charset=UTF-8"}

    def crm(self, method: str, path: str, params: dict[str, str], headers: dict[str, str], body: bytes) -> Any:
        """The /crm pipeline: route → concurrency → latency/faults → budget → auth → handler → credits."""
        cfg, acct = self.config, self.acct
        kind = "unknown"
        status = 500
        inflight = acct.enter()
        try:
            try:
                kind, handler, match = self.router.resolve(method, path, params)
                acct.call(kind)
                if cfg.concurrency_limit is not None and inflight > cfg.concurrency_limit:
                    acct.fault("concurrency_429")
                    raise too_many_requests(throttle_message(cfg.throttle_messages, CONCURRENCY_MESSAGE))
                fault, latency = self.faults.draw(kind)
                if latency > 0:
                    time.sleep(latency)
                if fault == "drop":
                    acct.fault("drop")
                    status = 0
                    return DROP
                if fault == "429":
                    acct.fault("injected_429")
                    raise too_many_requests(throttle_message(cfg.throttle_messages, AMBIGUOUS_429_MESSAGE),
                                            cfg.retry_after)
                if fault == "500":
                    acct.fault("injected_500")
                    raise ZohoError(500, "INTERNAL_ERROR", "Internal server error occurred.")
                if fault == "502_html":
                    acct.fault("html_502")
                    status = 502
                    return 502, BAD_GATEWAY_PAGE, {"Content-Type": "text/html"}
                if fault == "invalid_json":
                    acct.fault("invalid_json")
                    status = 200
                    return 200, b'{"data":[{"id":"1", "Modified_Time": 2024-', {
                        "Content-Type": "application/json;charset=UTF-8"}
                now = self.clock.epoch()
                if cfg.daily_credit_budget is not None and acct.used_24h(now) >= cfg.daily_credit_budget:
                    acct.fault("budget_429")
                    raise too_many_requests(throttle_message(cfg.throttle_messages, DAILY_LIMIT_MESSAGE))
                token = self.oauth.authenticate(headers.get("authorization"), now)
                if handler is None:
                    raise ZohoError(400, "INVALID_REQUEST_METHOD", "The http request method type is not a valid one")
                req = Request(method, path, params, headers, body, token, now)
                status, payload, extra = handler(req, match)
                if status < 400:
                    acct.charge(kind, cfg.credits.get(kind, 0), now)
                extra = {**extra, **self.credits_header()}
                if fault == "truncate":
                    acct.fault("truncate")
                    return Truncated((status, encode(payload), {**content_type(payload), **extra}))
                return status, encode(payload), {**content_type(payload), **extra}
            except ZohoError as e:
                status = e.status
                return e.status, e.encoded(), {"Content-Type": "application/json;charset=UTF-8", **e.headers,
                                               **self.credits_header()}
            except Exception:  # an emulator bug: answer like Zoho's 500 but keep the traceback visible
                traceback.print_exc()
                acct.fault("emulator_error")
                status = 500
                err = ZohoError(500, "INTERNAL_ERROR", "Internal server error occurred.")
                return 500, err.encoded(), {"Content-Type": "application/json;charset=UTF-8"}
        finally:
            acct.leave()
            self.log(method, path, kind, params, headers, status)


    def credits_header(self) -> dict[str, str]:
        """``X-API-CREDITS-REMAINING`` once ≥ 50 % of the daily limit is used (or always/never, per setting)."""
        cfg = self.config
        limit = cfg.daily_credit_limit if cfg.daily_credit_limit is not None else cfg.daily_credit_budget
        if cfg.credits_remaining_header == "off" or limit is None:
            return {}
        used = self.acct.used_24h(self.clock.epoch())
        if cfg.credits_remaining_header == "always" or used * 2 >= limit:
            return {CREDITS_HEADER: str(max(0, limit - used))}
        return {}


def throttle_message(mode: str, specific: str) -> str:
    """The message of a 429: the cause's own wording, or Zoho's documented one naming both causes."""
    return DOCUMENTED_429_MESSAGE if mode == "documented" else specific


def encode(payload: Any) -> bytes:
    """Body bytes of a handler payload."""
    if payload is None:
        return b""
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def content_type(payload: Any) -> dict[str, str]:
    """Default Content-Type of a payload (handlers may override)."""
    if payload is None:
        return {}
    if isinstance(payload, bytes):
        return {"Content-Type": "application/octet-stream"}
    return {"Content-Type": "application/json;charset=UTF-8"}


def make_handler(core: Core) -> type[BaseHTTPRequestHandler]:
    """Build the request-handler class bound to one emulator."""

    class ZohoHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # small header+body writes would otherwise wait on delayed ACKs (~40 ms)
        wbufsize = 1 << 16  # one write per response; handle_one_request flushes
        def version_string(self) -> str:
            """Server header (Zoho answers with its own gateway name)."""
            return "ZGS"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            result = core.handle(self.command, self.path, headers, body)
            if result is DROP:
                self.close_connection = True
                return
            status, payload, extra = result
            self.send_response(status)
            for k, v in extra.items():
                self.send_header(k, v)
            if status not in (204, 304):
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if isinstance(result, Truncated) and status not in (204, 304):
                self.wfile.write(payload[: len(payload) // 2])
                self.close_connection = True
                return
            if status not in (204, 304) and self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def date_time_string(self, timestamp: float | None = None) -> str:
            """HTTP Date header from the emulator clock (RFC 1123)."""
            return formatdate(core.clock.epoch(), usegmt=True)

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the default stderr access log (the emulator keeps its own)."""

    return ZohoHandler
