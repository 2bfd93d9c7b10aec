"""``python -m zoho_emulator`` starts a server and prints the base URL and credentials."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def test_cli_start_prints_credentials_and_serves() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "zoho_emulator", "--port", "0", "--seed", "2", "--records", "5",
                             "--records-per-module", "Leads=12,Deals=3", "--tz-offset", "+00:00"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["base_url"].startswith("http://127.0.0.1:")
        r = requests.post(f"{info['base_url']}/oauth/v2/token", params={
            "grant_type": "refresh_token", "client_id": info["client_id"], "client_secret": info["client_secret"],
            "refresh_token": info["refresh_token"]}, timeout=10)
        token = r.json()["access_token"]
        r = requests.get(f"{info['base_url']}/crm/v7/Leads", params={"fields": "Last_Name,Modified_Time",
                                                                      "converted": "both", "approved": "both"},
                         headers={"Authorization": f"Zoho-oauthtoken {token}"}, timeout=10)
        assert r.json()["info"]["count"] == 12
        assert r.json()["data"][0]["Modified_Time"].endswith("+00:00")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_flags_switch_org_features_and_keep_one_json_line() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "zoho_emulator", "--port", "0", "--records", "3", "--no-territories",
                             "--single-currency", "--deal-history-type", "default", "--pipeline-maps-probability",
                             "--daily-credit-limit", "100", "--credits-remaining-header", "always"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert set(info) == {"base_url", "client_id", "client_secret", "refresh_token"}
        token = requests.post(f"{info['base_url']}/oauth/v2/token", params={
            "grant_type": "refresh_token", "client_id": info["client_id"], "client_secret": info["client_secret"],
            "refresh_token": info["refresh_token"]}, timeout=10).json()["access_token"]

        def get(path: str, **params: str) -> requests.Response:
            return requests.get(f"{info['base_url']}{path}", params=params, timeout=10,
                                headers={"Authorization": f"Zoho-oauthtoken {token}"})
        assert get("/crm/v7/settings/territories").json()["code"] == "FEATURE_NOT_ENABLED"
        r = get("/crm/v7/org/currencies")
        assert r.status_code == 403 and r.headers["X-API-CREDITS-REMAINING"] == "100"
        modules = {m["api_name"]: m for m in get("/crm/v7/settings/modules").json()["modules"]}
        assert modules["DealHistory"]["generated_type"] == "default"
        layout = get("/crm/v7/settings/layouts", module="Deals").json()["layouts"][0]["id"]
        assert "probability" in get("/crm/v7/settings/pipeline", layout_id=layout).json()["pipeline"][0]["maps"][0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
