"""``ZohoEmulator``: the public facade (server lifecycle, clock, inspection and mutations)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer
from typing import Any

from .accounting import Accounting
from .bulk import BulkApi
from .config import CREDITS_HEADER_MODES, EmulatorConfig
from .coql import CoqlApi
from .faults import FaultInjector
from .oauth import OAuth
from .org_api import OrgApi
from .records import RecordsApi
from .server import Core, Router, make_handler
from .settings_api import SettingsApi
from .store import OrgStore


class ZohoEmulator:
    """A local Zoho CRM v7 org: accounts server + REST API + Bulk Read on one base URL.

    Example:
        >>> with ZohoEmulator(EmulatorConfig(seed=1)) as emu:  # doctest: +SKIP
        ...     print(emu.base_url, emu.refresh_token)
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        if self.config.credits_remaining_header not in CREDITS_HEADER_MODES:
            raise ValueError(f"credits_remaining_header must be one of {CREDITS_HEADER_MODES}")
        self.store = OrgStore(self.config)
        self.oauth = OAuth(self.config, "")
        self.acct = Accounting()
        self.faults = FaultInjector(self.config)
        self.records_api = RecordsApi(self.store)
        self.org_api = OrgApi(self.store)
        self.bulk_api = BulkApi(self.store)
        self.coql_api = CoqlApi(self.store)
        self.settings_api = SettingsApi(self.store)
        router = Router(self.store.mdefs, self.config, records_api=self.records_api, org_api=self.org_api,
                        bulk_api=self.bulk_api, coql_api=self.coql_api, settings_api=self.settings_api)
        self._core = Core(router, self.store.clock, self.oauth, self.acct, self.faults, self.config)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------------------
    def start(self) -> ZohoEmulator:
        """Bind 127.0.0.1 (config.port, 0 = free port) and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", self.config.port), make_handler(self._core))
        server.daemon_threads = True
        self._server = server
        self.oauth.api_domain = self.base_url
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="zoho-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def __enter__(self) -> ZohoEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """Bound port (after start)."""
        if self._server is None:
            raise RuntimeError("emulator not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: accounts server and API domain."""
        return f"http://127.0.0.1:{self.port}"

    # --- credentials --------------------------------------------------------------------------------------------------
    @property
    def client_id(self) -> str:
        """The valid client id."""
        return self.oauth.client_id

    @property
    def client_secret(self) -> str:
        """The valid client secret."""
        return self.oauth.client_secret

    @property
    def refresh_token(self) -> str:
        """The valid refresh token."""
        return self.oauth.refresh_token

    def grant_code(self, scopes: Iterable[str] | None = None, validity: float = 180) -> str:
        """A Self Client grant code (as the API console makes one): usable once, for ``validity`` seconds of the
        emulator clock (Zoho's default 3 minutes), for ``scopes`` (default: ``config.scopes``)."""
        return self.oauth.new_grant_code(tuple(scopes or self.config.scopes), validity, self.store.clock.epoch())

    def revoke_refresh_token(self) -> None:
        """Revoke the refresh token (token endpoint → invalid_code; its access tokens → INVALID_TOKEN)."""
        self.oauth.revoke()

    # --- clock ------------------------------------------------------------------------------------------------------
    def now(self) -> datetime:
        """Emulator time (aware, UTC)."""
        return datetime.fromtimestamp(self.store.clock.epoch(), tz=timezone.utc)

    def set_now(self, dt: datetime) -> None:
        """Freeze the clock at ``dt`` (naive = UTC) until ``unfreeze``."""
        aware = dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
        self.store.clock.set(aware.timestamp())

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.store.clock.advance(seconds)

    def unfreeze(self) -> None:
        """Let a frozen clock tick again."""
        self.store.clock.unfreeze()

    # --- inspection -----------------------------------------------------------------------------------------------
    def records(self, module: str) -> list[dict[str, Any]]:
        """Full (detail-shape) JSON of the live records of a module (converted leads included)."""
        mdef = self.store.mdefs[module]
        with self.store.lock:
            live = self.store.live(module)
        return [self.store.gen.record(mdef, st) for st in live]

    def record_ids(self, module: str) -> set[str]:
        """Ids of the live records of a module."""
        with self.store.lock:
            return {str(st.id) for st in self.store.live(module)}

    def count(self, module: str) -> int:
        """Number of live records (converted and unapproved ones included)."""
        with self.store.lock:
            return len(self.store.live(module))

    def deleted(self, module: str) -> list[dict[str, Any]]:
        """Entries /deleted?type=all would return (inside the retention windows), newest first."""
        return [self.store.deleted_json(e) for e in self.store.visible_deleted(module)]

    def users(self) -> list[dict[str, Any]]:
        """Every user in the Get Users shape."""
        return [self.store.user_json(i) for i in range(len(self.store.user_rows))]

    def modules(self) -> list[str]:
        """API names of the modules that hold records (data modules)."""
        return [m.api_name for m in self.store.mdefs.values() if m.kind == "data"]

    def stats(self) -> dict[str, Any]:
        """Calls and credits per kind, total credits, faults, peak concurrency of /crm requests."""
        return self.acct.stats()

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The request log (method, path, kind, params, headers, status, ts)."""
        return self.acct.requests

    def reset_stats(self) -> None:
        """Clear calls, credits, faults, peak concurrency and the request log."""
        self.acct.reset()

    # --- mutations ----------------------------------------------------------------------------------------------------
    def touch(self, module: str, n: int = 1, ids: Iterable[str | int] | None = None, at: Any = None,
              field: str | None = None) -> list[str]:
        """Update n records (or ``ids``): Modified_Time = at or now, one field value changes; returns ids."""
        return self.store.touch(module, n, ids, at, field)

    def add(self, module: str, n: int = 1, at: Any = None) -> list[str]:
        """Create n records; returns their ids."""
        return self.store.add(module, n, at)

    def delete(self, module: str, n: int = 1, ids: Iterable[str | int] | None = None, permanent: bool = False,
               at: Any = None) -> list[str]:
        """Delete records (recycle bin, or permanently); returns their ids."""
        return self.store.delete(module, n, ids, permanent, at)

    def restore(self, module: str, ids: Iterable[str | int]) -> list[str]:
        """Restore recycle-bin records; returns their ids."""
        return self.store.restore(module, ids)

    def convert_leads(self, n: int = 1, ids: Iterable[str | int] | None = None, at: Any = None) -> list[str]:
        """Convert leads (hidden from lists unless converted=true|both); returns their ids."""
        return self.store.convert_leads(n, ids, at)

    def add_field(self, module: str, api_name: str, data_type: str, values: Any = None, custom_field: bool = True,
                  **attrs: Any) -> list[str]:
        """Add a field; ``values`` is callable(record_index) → value, a constant, or None (always null).

        Returns:
            Ids of the records that got a non-null value (their Modified_Time was bumped).
        """
        return self.store.add_field(module, api_name, data_type, values, custom_field, **attrs)

    def remove_field(self, module: str, api_name: str) -> list[str]:
        """Remove a field from metadata and records; returns the ids of records that had a value."""
        return self.store.remove_field(module, api_name)

    def mass_update(self, module: str, n: int, at: Any = None) -> list[str]:
        """Touch n records that then share exactly one Modified_Time; returns their ids."""
        return self.store.mass_update(module, n, at)

    # --- drift: changes Zoho does not timestamp on the records that show them ----------------------------------------
    def recalculate_formulas(self, module: str, n: int = 1, ids: Iterable[str | int] | None = None) -> list[str]:
        """Re-evaluate the Now()-based formula fields of n records (or ``ids``): new values (Leads.Lead_Age_Days,
        Deals.Deal_Age_Days), Modified_Time unchanged; returns the ids."""
        return self.store.recalculate_formulas(module, n, ids)

    def recalculate_rollups(self, module: str, n: int = 1, ids: Iterable[str | int] | None = None) -> list[str]:
        """Change the rollup summary value of n parents (or ``ids``) through one child each (Accounts: one of its
        Deals gets a new Amount, an ordinary edit of the deal); the parent's Modified_Time moves only with
        ``rollup_bumps_parent_modified_time``. Returns the ids of the parents whose value changed."""
        return self.store.recalculate_rollups(module, n, ids)

    def rename(self, module: str, n: int = 1, ids: Iterable[str | int] | None = None) -> list[str]:
        """Rename n records (or ``ids``) (their display field: an edit, Modified_Time moves); the records that look
        them up render the new name without a new Modified_Time unless ``rename_bumps_lookup_modified_time``.
        Returns the renamed ids."""
        return self.store.rename(module, n, ids)

    def rename_user(self, index_or_id: int | str) -> str:
        """Rename a user (index into ``emu.users()`` or user id): the user's Modified_Time moves, records render the
        new name in Owner/Created_By/Modified_By/… with their Modified_Time unchanged. Returns the user id."""
        return self.store.rename_user(index_or_id)

    def empty_recycle_bin(self, module: str, ids: Iterable[str | int] | None = None) -> list[str]:
        """Purge the module's recycle bin (or only ``ids``): the entries leave /deleted at once, nothing replaces
        them and the records can no longer be restored. Returns the purged ids."""
        return self.store.empty_recycle_bin(module, ids)


class _Server(ThreadingHTTPServer):
    """The HTTP server; a client that hangs up (a killed pipeline) is normal here, not an error to print."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore connections the client reset or closed; print anything else as `socketserver` does."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)
