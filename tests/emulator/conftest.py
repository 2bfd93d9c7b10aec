"""Fixtures for the emulator's own tests: a started emulator per test and a small authenticated HTTP client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from zoho_emulator import EmulatorConfig, ZohoEmulator

START = "2025-06-01T12:00:00+00:00"


class Api:
    """Thin authenticated client over real HTTP."""

    def __init__(self, emu: ZohoEmulator) -> None:
        self.emu = emu
        self.session = requests.Session()
        self._token: str | None = None

    def new_token(self) -> str:
        """Run the refresh-token grant and return the access token."""
        r = self.session.post(
            f"{self.emu.base_url}/oauth/v2/token",
            params={
                "grant_type": "refresh_token",
                "client_id": self.emu.client_id,
                "client_secret": self.emu.client_secret,
                "refresh_token": self.emu.refresh_token,
            },
        )
        r.raise_for_status()
        return str(r.json()["access_token"])

    @property
    def token(self) -> str:
        """A cached access token."""
        if self._token is None:
            self._token = self.new_token()
        return self._token

    def get(
        self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None, auth: bool = True
    ) -> requests.Response:
        """GET an API path (``/crm/v7/...``) with the Zoho-oauthtoken header."""
        h = {"Authorization": f"Zoho-oauthtoken {self.token}"} if auth else {}
        h.update(headers or {})
        return self.session.get(f"{self.emu.base_url}{path}", params=params, headers=h, timeout=30)

    def post(
        self, path: str, json_body: Any = None, headers: dict[str, str] | None = None, data: Any = None
    ) -> requests.Response:
        """POST an API path with the auth header."""
        h = {"Authorization": f"Zoho-oauthtoken {self.token}"}
        h.update(headers or {})
        return self.session.post(f"{self.emu.base_url}{path}", json=json_body, data=data, headers=h, timeout=30)

    def list_all(self, module: str, fields: str, **params: Any) -> list[dict[str, Any]]:
        """Follow page 1 and then next_page_token until more_records is false."""
        out: list[dict[str, Any]] = []
        query: dict[str, Any] = {"fields": fields, **params}
        while True:
            r = self.get(f"/crm/v7/{module}", query)
            if r.status_code == 204:
                return out
            assert r.status_code == 200, r.text
            body = r.json()
            out.extend(body["data"])
            if not body["info"]["more_records"]:
                return out
            query = {"fields": fields, **params, "page_token": body["info"]["next_page_token"]}


def make(**kw: Any) -> ZohoEmulator:
    """Build (not start) an emulator with a fixed clock start."""
    kw.setdefault("start_time", START)
    return ZohoEmulator(EmulatorConfig(**kw))


@pytest.fixture
def emu() -> Iterator[ZohoEmulator]:
    """A started emulator with the default configuration (20 records per module)."""
    e = make().start()
    yield e
    e.stop()


@pytest.fixture
def api(emu: ZohoEmulator) -> Api:
    """Client for the ``emu`` fixture."""
    return Api(emu)


@pytest.fixture
def factory() -> Iterator[Any]:
    """Start emulators with custom settings; all are stopped after the test."""
    started: list[ZohoEmulator] = []

    def build(**kw: Any) -> tuple[ZohoEmulator, Api]:
        e = make(**kw).start()
        started.append(e)
        return e, Api(e)

    yield build
    for e in started:
        e.stop()
