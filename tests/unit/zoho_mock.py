"""A small requests-mock stand-in for Zoho used by unit tests (the emulator covers faithful behaviour)."""

import re
from typing import Any, Dict, List, Optional

import requests_mock

from zoho_crm.api.auth import ZohoOAuth
from zoho_crm.api.client import ZohoClient
from zoho_crm.api.gate import ZohoGate
from zoho_crm.api.ledger import RunLedger
from zoho_crm.api.quirks import ZohoQuirks
from zoho_crm.context import OrgGuard, RunContext
from zoho_crm.records.metadata import OrgMetadata

BASE = "http://zoho.test"
TOKEN_URL = f"{BASE}/oauth/v2/token"
CREDS = {"client_id": "1000.CLIENT", "client_secret": "s3cr3t-client", "refresh_token": "1000.refresh-s3cr3t"}


FIELDS = [
    {"api_name": "id", "data_type": "bigint", "json_type": "string"},
    {"api_name": "Modified_Time", "data_type": "datetime", "json_type": "string"},
    {"api_name": "Subject", "data_type": "text", "json_type": "string"},
    {"api_name": "Quoted_Items", "data_type": "subform", "json_type": "jsonarray"},
]


# what a default run reads for its settings tables: one row each is enough here (the e2e tests use the emulator)
SETTINGS_ANSWERS = {
    "org": {"org": [{"id": "1", "company_name": "Unit Org", "iso_code": "USD"}]},
    "settings/roles": {"roles": [{"id": "2", "name": "CEO", "reporting_to": None}]},
    "settings/profiles": {"profiles": [{"id": "3", "name": "Administrator"}]},
    "settings/territories": {"territories": [{"id": "4", "name": "Unit Org"}], "info": {"more_records": False}},
    "org/currencies": {"currencies": [{"id": "5", "iso_code": "USD", "exchange_rate": "1.000000000"}]},
    "settings/layouts": {"layouts": [{"id": "6", "name": "Standard"}]},
    "settings/pipeline": {"pipeline": [{"id": "7", "display_value": "Standard", "maps": []}]},
}


def make_records(n: int, start_id: int = 4876876000000100000) -> List[Dict[str, Any]]:
    """n records sorted by Modified_Time (one per second), with a line item each."""
    return [
        {
            "id": str(start_id + i),
            "Modified_Time": f"2024-03-01T{10 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}+05:30",
            "Subject": f"Quote {i}",
            "Quoted_Items": [{"id": str(start_id + 500000 + i), "Quantity": i % 7 + 1}],
        }
        for i in range(n)
    ]


class ZohoMock:
    """Registers token, modules, list (page/page_token) and detail (?ids=) endpoints on a Mocker."""

    def __init__(self, m: requests_mock.Mocker, records: Dict[str, List[Dict[str, Any]]]) -> None:
        self.m = m
        self.records = records
        self.tokens_issued = 0
        self.token_mode = "always"
        m.post(TOKEN_URL, json=self._token)
        modules = [{"api_name": name, "api_supported": True, "generated_type": "default"} for name in records]
        m.get(f"{BASE}/crm/v7/settings/modules", json={"modules": modules})
        m.get(f"{BASE}/crm/v7/settings/fields", json={"fields": FIELDS})
        for path, answer in SETTINGS_ANSWERS.items():
            m.get(f"{BASE}/crm/v7/{path}", json=answer)
        self.deleted: Dict[str, List[Dict[str, Any]]] = {module: [] for module in records}
        for module in records:
            m.get(re.compile(rf"{BASE}/crm/v7/{module}(\?.*)?$"), json=self._module(module))
            m.get(re.compile(rf"{BASE}/crm/v7/{module}/deleted(\?.*)?$"), json=self._deleted(module))

    def _token(self, request: Any, context: Any) -> Dict[str, Any]:
        self.tokens_issued += 1
        return {"access_token": f"1000.token{self.tokens_issued}", "expires_in": 3600, "token_type": "Bearer"}

    def _module(self, module: str) -> Any:
        def handler(request: Any, context: Any) -> Optional[Dict[str, Any]]:
            rows = self.records[module]
            qs = {k: v[0] for k, v in request.qs.items()}
            if "ids" in qs:
                wanted = set(qs["ids"].split(","))
                found = [r for r in rows if r["id"] in wanted]
                if not found:
                    context.status_code = 204
                    return None
                return {"data": found}
            if "page_token" in qs:
                start = int(qs["page_token"].removeprefix("tok"))
            else:
                start = (int(qs.get("page", "1")) - 1) * 200
            page = rows[start : start + 200]
            if not page:
                context.status_code = 204
                return None
            more = start + 200 < len(rows)
            token = f"tok{start + 200}" if more and self.token_mode == "always" else None
            data = [{"id": r["id"], "Modified_Time": r["Modified_Time"]} for r in page]
            return {"data": data, "info": {"more_records": more, "page": start // 200 + 1, "next_page_token": token}}

        return handler

    def _deleted(self, module: str) -> Any:
        def handler(request: Any, context: Any) -> Optional[Dict[str, Any]]:
            if not self.deleted[module]:
                context.status_code = 204
                return None
            return {"data": self.deleted[module], "info": {"more_records": False, "page": 1, "per_page": 200}}

        return handler

    def calls(self, kind: str) -> List[Any]:
        """Requests of one kind: token, list or detail."""
        history = self.m.request_history
        if kind == "token":
            return [r for r in history if r.url.startswith(TOKEN_URL)]
        settings = ("/crm/v7/settings/", "/crm/v7/org")
        crm = [r for r in history if "/crm/v7/" in r.url and not any(p in r.url for p in settings)]
        crm = [r for r in crm if "/deleted" not in r.url]
        return [r for r in crm if ("ids" in r.qs) == (kind == "detail")]


class FakeTime:
    """A clock and a sleep that advances it, so retry budgets are tested without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: List[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(
    ledger: Optional[RunLedger] = None,
    max_concurrency: int = 5,
    max_retry_seconds: float = 600,
    fake_time: Optional[FakeTime] = None,
    base: str = BASE,
) -> ZohoClient:
    """A client for the mock Zoho with its own gate (fake time, so retries cost no wall time)."""
    fake_time = fake_time or FakeTime()
    gate = ZohoGate(
        max_concurrency,
        max_retry_seconds,
        ledger if ledger is not None else RunLedger(),
        backoff_base=0.5,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    return ZohoClient(base, ZohoOAuth(access_token_url=TOKEN_URL, **CREDS), gate)


def make_context(client: ZohoClient) -> RunContext:
    """The run context the source would build around `client` (its gate and ledger)."""
    quirks = ZohoQuirks()
    metadata = OrgMetadata(client, quirks)
    return RunContext(client, client.gate, client.gate.ledger, metadata, quirks, OrgGuard(client.api_base_url), 5)
