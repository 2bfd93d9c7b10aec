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
