"""From a Self Client grant code to a working `.dlt/secrets.toml` in one command (`--grant-code CODE`).

The code is exchanged (`grant_type=authorization_code`) at the accounts server of the configured data centre; the
refresh token (with the client id and secret) is written under `[sources.zoho_crm.credentials]`, keeping the rest of
the file, readable by its owner only; one cheap call (the module list, 1 credit) confirms the token works; and the
scopes Zoho granted are compared with what each feature needs. Nothing secret is printed.
"""

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import dlt
import tomlkit
from dlt.sources.helpers import requests
from requests import ConnectionError as RequestsConnectionError
from requests import Timeout

from ..api.auth import AUTH_SCHEME
from ..config import resolve_urls
from ..errors import ZohoAuthError, ZohoConfigError, ZohoConnectionError, json_or_empty
from ..settings import API_VERSION, DEFAULT_DATA_CENTER

SECRETS_FILE = "secrets.toml"
CREDENTIALS_SECTION = ("sources", "zoho_crm", "credentials")
SETTINGS_NAMES = ("roles", "profiles", "territories", "currencies", "layouts", "pipeline")
SETTINGS_SCOPES = tuple(f"ZohoCRM.settings.{name}.READ" for name in SETTINGS_NAMES)
# what each feature of the pipeline needs, and what happens without it
FEATURES: Tuple[Tuple[str, Tuple[str, ...], str], ...] = (
    ("module records", ("ZohoCRM.modules.READ",), "nothing loads"),
    ("module list", ("ZohoCRM.settings.modules.READ",), "module names are not checked, `all` and stage history off"),
    ("field metadata", ("ZohoCRM.settings.fields.READ",), "columns typed from the values"),
    ("users", ("ZohoCRM.users.READ",), "zoho_crm_users skipped"),
    ("settings tables", ("ZohoCRM.org.READ", *SETTINGS_SCOPES), "those tables skipped"),
    ("Bulk Read", ("ZohoCRM.bulk.READ", "ZohoCRM.settings.tags.READ", "ZohoCRM.settings.layouts.READ"),
     "large first loads through REST (more credits)"),
    ("COQL", ("ZohoCRM.coql.READ",), "first loads sized by listing (more credits)"),
)


@dataclass
class Granted:
    """What a grant code gave: where the credentials went, the scopes, and whether a call worked with them."""

    secrets_path: Path
    api_base_url: str
    scopes: Optional[List[str]]  # None when Zoho did not say
    confirmed: bool
    answer: str  # what the confirming call answered
    missing: List[str] = field(default_factory=list)

    def lines(self) -> List[str]:
        """The report the CLI prints (no secret in it)."""
        lines = [f"Saved the refresh token, client id and secret to {self.secrets_path} (mode 0600)"]
        lines.append(f"Checked with GET /crm/{API_VERSION}/settings/modules at {self.api_base_url}: {self.answer}")
        if self.scopes is None:
            lines.append("Zoho did not say which scopes it granted: the features below are not checked")
            return lines
        lines.append(f"Scopes granted: {', '.join(self.scopes) or 'none'}")
        for name, needed, without in FEATURES:
            lacking = [s for s in needed if not covered(s, self.scopes)]
            state = "ok" if not lacking else f"missing {', '.join(lacking)}: {without}"
            lines.append(f"  {name:<16} {state}")
        if self.missing:
            lines.append(
                f"To use them all, make a new grant code in the Self Client with {', '.join(self.missing)} added "
                "and run --grant-code again"
            )
        return lines


def covered(needed: str, granted: Sequence[str]) -> bool:
    """True when a granted scope covers `needed`: the same scope, or `ALL` of it or of a scope above it
    (`ZohoCRM.modules.ALL` covers `ZohoCRM.modules.READ`, `ZohoCRM.settings.ALL` every settings scope)."""
    base, _, operation = needed.lower().rpartition(".")
    for scope in granted:
        scope_base, _, scope_operation = scope.strip().lower().rpartition(".")
        if (base == scope_base or base.startswith(scope_base + ".")) and scope_operation in (operation, "all"):
            return True
    return False


def client_credentials(client_id: Optional[str], client_secret: Optional[str]) -> Tuple[str, str]:
    """The Self Client's id and secret: the given ones, else dlt's configuration, else asked on a terminal."""
    import getpass
    import sys

    key = ".".join(CREDENTIALS_SECTION)
    client_id = client_id or dlt.secrets.get(f"{key}.client_id")
    client_secret = client_secret or dlt.secrets.get(f"{key}.client_secret")
    if (not client_id or not client_secret) and sys.stdin.isatty():
        client_id = client_id or input("Self Client id: ").strip()
        client_secret = client_secret or getpass.getpass("Self Client secret: ").strip()
    if not client_id or not client_secret:
        raise ZohoConfigError(
            "--grant-code needs the Self Client's id and secret: give --client-id and --client-secret, or put them "
            "under [sources.zoho_crm.credentials] in .dlt/secrets.toml"
        )
    return str(client_id), str(client_secret)


def exchange_grant_code(code: str, client_id: str, client_secret: str) -> Granted:
    """Exchange `code`, save the credentials, confirm them with one call; see the module docstring.

    Raises:
        ZohoAuthError: A used or expired code, or a client the data centre does not know (exit 2).
        ZohoConnectionError: The accounts server or the API cannot be reached.
    """
    api_base_url, accounts_url = _urls()
    token_url = f"{accounts_url}/oauth/v2/token"
    form = {"grant_type": "authorization_code", "client_id": client_id, "client_secret": client_secret, "code": code}
    answer = _post(token_url, form)
    error = str(answer.get("error") or "")
    if error or not answer.get("refresh_token"):
        raise ZohoAuthError(_grant_error(error or "no refresh token in the answer", accounts_url))
    path = save_credentials(client_id, client_secret, str(answer["refresh_token"]))
    scopes = _scopes(answer.get("scope"))
    confirmed, said = _confirm(api_base_url, str(answer.get("access_token") or ""))
    missing = sorted({s for _, needed, _ in FEATURES for s in needed if scopes is not None and not covered(s, scopes)})
    return Granted(path, api_base_url, scopes, confirmed, said, missing)


def save_credentials(client_id: str, client_secret: str, refresh_token: str) -> Path:
    """Write the credentials under `[sources.zoho_crm.credentials]` of the project's `.dlt/secrets.toml`, keeping
    everything else in it, with mode 0600 (written to a private temporary file first, then moved in place)."""
    path = Path(dlt.current.run_context().settings_dir) / SECRETS_FILE
    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    table: Any = document
    for name in CREDENTIALS_SECTION:
        if name not in table:
            table[name] = tomlkit.table()
        table = table[name]
    table["client_id"], table["client_secret"], table["refresh_token"] = client_id, client_secret, refresh_token
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secrets.", suffix=".tmp")  # mode 0600
    with os.fdopen(descriptor, "w", encoding="utf-8") as f:
        f.write(tomlkit.dumps(document))
    os.replace(temporary, path)
    os.chmod(path, 0o600)
    return path


def _urls() -> Tuple[str, str]:
    key = "sources.zoho_crm"
    data_center = dlt.config.get(f"{key}.data_center") or DEFAULT_DATA_CENTER
    return resolve_urls(str(data_center), dlt.config.get(f"{key}.api_base_url"), dlt.config.get(f"{key}.accounts_url"))


def _post(url: str, form: Dict[str, str]) -> Dict[str, Any]:
    try:
        response = requests.post(url, data=form, timeout=30)
    except (RequestsConnectionError, Timeout) as ex:
        raise ZohoConnectionError(
            f"cannot reach the Zoho accounts server at {url} ({type(ex).__name__}): check the network, and "
            "data_center / accounts_url"
        ) from None
    return json_or_empty(response)


def _grant_error(error: str, accounts_url: str) -> str:
    if error == "invalid_code":
        return (
            "Zoho refused the grant code (invalid_code): it was used already or it expired (a Self Client code lives "
            "the minutes chosen when it is made, 3 by default): generate a new one and run --grant-code at once"
        )
    if error in ("invalid_client", "invalid_client_secret"):
        return (
            f"the accounts server {accounts_url} does not know this client ({error}): check the client id and "
            "secret; is your org on another data centre? set data_center (eu, in, au, jp, ca, cn, sa) or accounts_url"
        )
    return f"Zoho's accounts server {accounts_url} did not issue a refresh token ({error})"


def _scopes(value: Any) -> Optional[List[str]]:
    if not value:
        return None
    names = value if isinstance(value, list) else str(value).replace(",", " ").split()
    return sorted({str(name).strip() for name in names if str(name).strip()})


def _confirm(api_base_url: str, access_token: str) -> Tuple[bool, str]:
    """One module-list call with the new access token: (worked, what it answered)."""
    url = f"{api_base_url}/crm/{API_VERSION}/settings/modules"
    try:
        response = requests.get(url, headers={"Authorization": f"{AUTH_SCHEME} {access_token}"}, timeout=30)
    except (RequestsConnectionError, Timeout) as ex:
        raise ZohoConnectionError(
            f"cannot reach the Zoho CRM API at {api_base_url} ({type(ex).__name__}): check the network, and "
            "data_center / api_base_url"
        ) from None
    if response.status_code < 300:
        return True, f"HTTP {response.status_code}, the token works"
    code = str(json_or_empty(response).get("code") or f"HTTP {response.status_code}")
    return False, f"HTTP {response.status_code} {code} (the refresh token is saved; see the scopes below)"
