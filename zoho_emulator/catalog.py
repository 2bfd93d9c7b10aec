"""Org-wide lookups: stable metadata ids, the org's users and the time zone.

The record generator (``data.DataGen``), the store and the endpoint modules all read these; the catalog reads none of
them, so it sits below them in the import graph.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from .hashing import mix
from .schema import ID_BASE, TIME_ZONES

YEAR = 365 * 86400
DAY = 86400
PEOPLE = (("Patricia", "Boyle", "Administrator", "CEO", "active", True),
          ("John", "Smith", "Standard", "Manager", "active", True),
          ("Aarav", "Sharma", "Standard", "Sales Rep", "active", True),
          ("Mei", "Wong", "Standard", "Sales Rep", "active", False),
          ("Lukas", "Mueller", "Standard", "Sales Rep", "disabled", True),
          ("Sofia", "Rossi", "Administrator", "Manager", "deleted", True))
"""(first name, last name, profile, role, status, confirmed) of the org's users; the first one is the admin."""


def tz_parts(offset: str) -> tuple[int, str, timedelta]:
    """Parse "+05:30" into (seconds, suffix, timedelta)."""
    sign = -1 if offset.startswith("-") else 1
    hh, mm = offset.lstrip("+-").split(":")
    secs = sign * (int(hh) * 3600 + int(mm) * 60)
    return secs, offset, timedelta(seconds=secs)


class Catalog:
    """Metadata ids (allocated in call order, so the store allocates them in a fixed order), users and time zone.

    Args:
        seed: the org's data seed.
        tz_offset: offset of rendered datetimes (``+05:30``).
        start: start of the emulator clock (epoch seconds).
        lock: the lock id allocation takes (the store passes its own, so allocation serialises with its mutations).
    """

    def __init__(self, seed: int, tz_offset: str, start: int, lock: threading.RLock | None = None) -> None:
        self.seed = seed
        self.tz_offset = tz_offset
        self.start = start
        self.lock = lock if lock is not None else threading.RLock()
        self.tz_seconds, self.tz_suffix, self.tz_delta = tz_parts(tz_offset)
        self._meta_next = ID_BASE + 2_000
        self._late_next = ID_BASE + 1_001
        self._ids: dict[str, int] = {}
        self.user_rows: list[dict[str, Any]] = []
        self.user_times: list[tuple[int, int]] = []
        """(created, modified) epoch seconds of each user."""
        self.active_user_idx: list[int] = []
        """Indexes of the users records are assigned to (owners, creators)."""
        self.users_version = 0
        """Bumped whenever a user's row changes (a rename): caches of rendered rows key on it."""

    # --- ids -------------------------------------------------------------------------------------------------------
    def meta_id(self, key: str) -> int:
        """Stable metadata id (module, field, layout, tag, profile…), allocated in a fixed order."""
        with self.lock:
            v = self._ids.get(key)
            if v is None:
                v = self._ids[key] = self._meta_next
                self._meta_next += 3
            return v

    def late_meta_id(self, key: str) -> int:
        """Metadata id of something the org gained later (a field added to the schema): taken from a range of its
        own below the other ids, so that no id allocated in call order (``meta_id``) moves."""
        with self.lock:
            v = self._ids.get(key)
            if v is None:
                if self._late_next >= ID_BASE + 2_000:
                    raise RuntimeError("late metadata id range exhausted")
                v = self._ids[key] = self._late_next
                self._late_next += 3
            return v

    def layout_id(self, module: str) -> int:
        """Id of the module's "Standard" layout."""
        return self.meta_id(f"layout:{module}")

    def tag_id(self, name: str, module: str | None = None) -> int:
        """Id of a tag of a module (each module has its own tags), or of a tax when ``module`` is None."""
        return self.meta_id(f"tag:{module}:{name}" if module else f"tag:{name}")

    def territory_id(self, name: str) -> int:
        """Id of a territory."""
        return self.meta_id(f"territory:{name}")

    # --- users ----------------------------------------------------------------------------------------------------
    def build_users(self) -> None:
        """Create the users (allocates their user, role and profile ids: the store calls it after the module ids)."""
        tz_name = TIME_ZONES.get(self.tz_offset, f"GMT{self.tz_offset}")
        for i, (first, last, profile, role, status, confirm) in enumerate(PEOPLE):
            uid = self.meta_id(f"user:{i}")
            local = f"{first}{last}".lower()
            local = local + "0" * max(0, 9 - len(local))
            created = self.start - 2 * YEAR - (6 - i) * 30 * DAY
            modified = created + (mix(self.seed, i, 5) % YEAR)
            self.user_times.append((created, modified))
            self.user_rows.append({
                "id": str(uid), "zuid": str(60_000_000 + uid % 1_000_000), "first_name": first, "last_name": last,
                "full_name": f"{first} {last}", "email": f"{local}@zylkr.com", "status": status,
                "confirm": confirm, "role": {"name": role, "id": str(self.meta_id(f"role:{role}"))},
                "profile": {"name": profile, "id": str(self.meta_id(f"profile:{profile}"))},
                "time_zone": tz_name, "locale": "en_US", "country_locale": "en_US", "language": "en_US",
                "Currency": "INR", "type__s": "Regular", "Isonline": i == 0, "phone": None, "mobile": None,
                "city": None, "state": None, "country": "India", "street": None, "zip": None, "fax": None,
                "website": None, "alias": None, "dob": None, "signature": None, "status_reason__s": None,
                "date_format": "MMM d, yyyy", "time_format": "hh:mm a", "decimal_separator": "Period",
                "number_separator": "Space", "name_format__s": "Salutation,First Name,Last Name",
                "sort_order_preference__s": "First Name,Last Name", "category": "regular_user",
                "personal_account": False, "sandboxDeveloper": False, "microsoft": False,
                "default_tab_group": "0", "offset": self.tz_seconds * 1000,
            })
        admin = self.user_rows[0]
        for i, row in enumerate(self.user_rows):
            row["Reporting_To"] = None if i == 0 else {"name": admin["full_name"], "id": admin["id"]}
            row["created_by"] = {"name": admin["full_name"], "id": admin["id"]}
            row["Modified_By"] = {"name": admin["full_name"], "id": admin["id"], "first_name": admin["first_name"],
                                  "last_name": admin["last_name"]}
        self.active_user_idx[:] = [0, 1, 2]

    def rename_user(self, i: int, first: str, last: str, when: int) -> None:
        """Rename user ``i`` (its Modified_Time = ``when``); the copies of its name in other users' rows follow."""
        with self.lock:
            row = self.user_rows[i]
            row.update(first_name=first, last_name=last, full_name=f"{first} {last}")
            self.user_times[i] = (self.user_times[i][0], when)
            for other in self.user_rows:
                for key in ("Reporting_To", "created_by", "Modified_By"):
                    ref = other.get(key)
                    if isinstance(ref, dict) and ref.get("id") == row["id"]:
                        ref["name"] = row["full_name"]
                        if "first_name" in ref:
                            ref.update(first_name=first, last_name=last)
            self.users_version += 1
