"""Deterministic, memory-light record generator.

The store keeps only a compact ``RecordState`` per record; every field value is computed on demand from
(seed, module, record index, per-field version), so 100k+ records cost a few MB and a value never changes unless a
mutation bumps that field's version.

``DataGen`` reads the org-wide lookups from a ``Catalog`` (users, metadata ids, time zone), the records of other
modules (lookups, line items) from the store's ``ModuleState`` mapping, history rows from the field trackers
mapping and rollup summary values from the rollups mapping: it never sees the store itself.

Lookup names (``{name, id}``, line items' products, ``Parent_Id``) are rendered from the looked-up record's current
display value, so a renamed record's new name shows wherever it is looked up, without a change to the records that
look it up (their Modified_Time stays, unless the store's rename moves it).
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .hashing import mix, salt
from .org_settings import (
    CURRENCY_BY_CODE,
    HOME_CURRENCY,
    PIPELINE_BY_NAME,
    PIPELINES,
    STAGE_BY_NAME,
    TAG_NAMES,
    TERRITORIES,
    TERRITORY_BY_COUNTRY,
    currency_for,
    pipeline_for,
)
from .schema import ID_BASE, FieldDef, ModuleDef
from .wide import WIDE_GENS, WideShape, wide_value

if TYPE_CHECKING:
    from .catalog import Catalog

ROW_ID_BASE = ID_BASE + 100_000_000_000
"""Subform, line-item, linking and pricing rows: '48768761…' ids derived from the parent id, so they are stable."""


class RecordState:
    """Compact per-record state; everything else is derived."""

    __slots__ = (
        "approval",
        "converted",
        "created",
        "creator",
        "deleted",
        "formula_at",
        "id",
        "index",
        "li_version",
        "modified",
        "modifier",
        "overrides",
    )

    def __init__(self, index: int, rid: int, created: int, modified: int, creator: int) -> None:
        self.index = index
        self.id = rid
        self.created = created
        self.modified = modified
        self.overrides: dict[str, int] | None = None
        self.converted: int | None = None
        self.approval = "approved"
        self.deleted = False
        self.modifier: int | None = None
        self.li_version = 0
        self.creator = creator
        self.formula_at: tuple[int, int] | None = None
        """(Modified_Time it was set against, evaluation time) of the last ``recalculate_formulas``."""

    def version(self, name: str) -> int:
        """Version of one field's value (bumped by touch)."""
        return self.overrides.get(name, 0) if self.overrides else 0

    def formula_time(self) -> int:
        """When the record's Now()-based formulas were last evaluated: at its last edit (Modified_Time), or at the
        last recalculation if none came after it (an edit recomputes them at the edit's time)."""
        at = self.formula_at
        return at[1] if at is not None and at[0] == self.modified else self.modified


@dataclass
class DeletedEntry:
    """One row of /{module}/deleted."""

    id: int
    display_name: str | None
    type: str
    deleted_time: int
    deleted_by: int | None
    created_by: int | None
    state: RecordState | None


class ModuleState:
    """Records of one module plus sorted views cached per mutation version."""

    def __init__(self, mdef: ModuleDef) -> None:
        self.mdef = mdef
        self.by_index: list[RecordState] = []
        self.by_id: dict[int, RecordState] = {}
        self.initial_count = 0
        self.version = 0
        self.deleted: list[DeletedEntry] = []
        self.cache: dict[str, tuple[int, list[int], list[Any]]] = {}


class TrackedRows(Protocol):
    """What ``DataGen`` reads from the field tracker of a tracker module (``history.FieldTracker``)."""

    def value(self, row: RecordState, name: str) -> Any:
        """Value of a history field of a row."""

    def parent_ref(self, row: RecordState) -> dict[str, Any] | None:
        """The lookup to the row's parent record."""

    def entered(self, parent: RecordState) -> int | None:
        """When the parent entered its current tracked value (None: no history row for it yet)."""


class RollupValues(Protocol):
    """What ``DataGen`` reads from a rollup summary field's aggregates (``rollups.Rollup``)."""

    def value(self, parent: RecordState) -> Any:
        """The field's value on a parent record."""


def added_value(f: FieldDef, st: RecordState) -> Any:
    """Value of a field added with ``add_field`` (evaluated once per record, then cached)."""
    cache = f.cache if f.cache is not None else {}
    if st.index in cache:
        return cache[st.index]
    src = f.source
    v = src(st.index) if callable(src) else src
    cache[st.index] = v
    f.cache = cache
    return v


FIRST = ("Patricia", "John", "Aarav", "Mei", "Lukas", "Sofia", "Kenji", "Amara", "Diego", "Priya", "Noah", "Emma",
         "Olivia", "Liam", "Chloé", "Søren", "Zoë", "Mateo", "Ananya", "Hiro", "Fatima", "Ivan", "Grace", "Omar")
LAST = ("Boyle", "Smith", "Sharma", "Wong", "Müller", "Rossi", "Tanaka", "Okafor", "García", "Iyer", "Brown",
        "Johnson", "Dubois", "Nielsen", "Kowalski", "Silva", "Nakamura", "Haddad", "Petrov", "O'Brien", "Lee")
COMPANY_A = ("Zylker", "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Soylent", "Hooli",
             "Vandelay", "Cyberdyne", "Wonka", "Gringotts", "Oceanic", "Massive Dynamic")
COMPANY_B = ("Inc", "Corp", "Ltd", "GmbH", "Pvt Ltd", "LLC", "Systems", "Labs", "Traders", "Industries")
CITIES = ("Chennai", "Bengaluru", "Pleasanton", "Austin", "Berlin", "München", "Tokyo", "São Paulo", "London",
          "Paris", "Sydney", "Toronto", "Dubai", "Singapore", "Zürich")
STATES = ("Tamil Nadu", "Karnataka", "California", "Texas", "Berlin", "Bavaria", "Tokyo", "São Paulo", "England",
          "Île-de-France", "NSW", "Ontario", "Dubai", "Singapore", "Zürich")
COUNTRIES = ("India", "United States", "Germany", "Japan", "Brazil", "United Kingdom", "France", "Australia",
             "Canada", "United Arab Emirates", "Singapore", "Switzerland")
STREETS = ("MG Road", "Main Street", "Hauptstraße", "Sakura-dori", "Rua Augusta", "Baker Street", "Rue de Rivoli",
           "George Street", "King Street West", "Sheikh Zayed Road")
WORDS = ("account", "follow", "up", "pricing", "renewal", "contract", "demo", "onboarding", "integration", "support",
         "quarterly", "review", "budget", "approval", "pilot", "rollout", "migration", "training", "invoice",
         "shipment", "priority", "feedback", "proposal", "meeting", "call", "email", "partner", "expansion")
TITLES = ("CEO", "CTO", "VP Sales", "Sales Manager", "Purchasing Manager", "Engineer", "Analyst", "Consultant",
          "Director", "Office Manager")
DEPARTMENTS = ("Sales", "Marketing", "Finance", "Engineering", "Support", "Operations", "Procurement")
UNICODE_BITS = ("Café déjà vu — naïve façade", "東京の顧客 (重要)", "서울 지사 담당", "Ünïcødé Straße 12",
                "🚀 Launch partner 🎉", "Привет, мир", "مرحبا بالعالم", "emoji mix 😀👍🏽 ✓", "Ελληνικά κείμενο")
PRODUCTS = ("Router", "Switch", "Firewall", "Laptop", "Server", "License", "Support Plan", "Headset", "Monitor",
            "Docking Station", "Access Point", "Storage Array")
SKILLS = ("Negotiation", "Python", "Accounting", "Logistics", "Design", "Support")


class DataGen:
    """Renders Zoho-shaped JSON for record states of one org.

    Args:
        seed: the data seed.
        catalog: users, metadata ids (layout, tag, territory) and time zone.
        modules: module API name → its records (read for lookups and line items; filled by the store later).
        trackers: tracker module API name → its field tracker (read for history rows; filled by the store later).
        rollups: ``"Module.Field"`` → the aggregates of a rollup summary field (filled by the store later).
        wide: the shape of wide records (``wide.py``), for the fields ``widen`` made wide.
    """

    def __init__(self, seed: int, catalog: Catalog, modules: Mapping[str, ModuleState],
                 trackers: Mapping[str, TrackedRows], rollups: Mapping[str, RollupValues] | None = None,
                 wide: WideShape | None = None) -> None:
        self.seed = seed
        self.wide = wide or WideShape()
        self.catalog = catalog
        self.modules = modules
        self.trackers = trackers
        self.rollups: Mapping[str, RollupValues] = rollups if rollups is not None else {}
        self._fsalt: dict[str, int] = {}

    # --- helpers -------------------------------------------------------------------------------------------------
    def fsalt(self, name: str) -> int:
        """Cached salt of a field name."""
        s = self._fsalt.get(name)
        if s is None:
            s = self._fsalt[name] = salt(name)
        return s

    def h(self, ms: ModuleDef, st: RecordState, name: str, k: int = 0) -> int:
        """Hash for one field of one record at the field's current version."""
        return mix(self.seed, self.fsalt(ms.api_name), st.index, self.fsalt(name), st.version(name), k)

    def dt(self, epoch: int | None) -> str | None:
        """Datetime in the token user's offset, seconds precision (``2024-05-21T10:15:02+05:30``)."""
        if epoch is None:
            return None
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch + self.catalog.tz_seconds)) + self.catalog.tz_suffix

    def date(self, epoch: int) -> str:
        """Date (no zone) of an epoch in the user's offset."""
        return time.strftime("%Y-%m-%d", time.gmtime(epoch + self.catalog.tz_seconds))

    def user(self, idx: int) -> dict[str, Any]:
        """Minified owner/user object ``{name, id, email}``."""
        u = self.catalog.user_rows[idx]
        return {"name": u["full_name"], "id": u["id"], "email": u["email"]}

    def user_idx(self, h: int) -> int:
        """An active user index from a hash."""
        active = self.catalog.active_user_idx
        return active[h % len(active)]

    def ref(self, module: str, h: int) -> dict[str, Any] | None:
        """Lookup object ``{name, id}`` to a record of ``module`` chosen among its initial records."""
        ms = self.modules.get(module)
        if ms is None or ms.initial_count == 0:
            return None
        target = ms.by_index[h % ms.initial_count]
        return {"name": self.display_name(ms.mdef, target), "id": str(target.id)}

    def display_name(self, mdef: ModuleDef, st: RecordState) -> str | None:
        """Value of the module's display field (lookup names, /deleted display_name)."""
        f = mdef.field(mdef.display_field)
        if f is None:
            return str(st.id)
        v = self.value(mdef, st, f)
        return v if isinstance(v, str) else None

    def dep(self, mdef: ModuleDef, st: RecordState, name: str) -> Any:
        """Value of another field the current one derives from (None once that field was removed)."""
        f = mdef.field(name)
        return self.value(mdef, st, f) if f is not None else None

    def words(self, h: int, n: int) -> str:
        """n pseudo-random words."""
        return " ".join(WORDS[mix(h, i) % len(WORDS)] for i in range(n))

    # --- values ----------------------------------------------------------------------------------------------------
    def value(self, mdef: ModuleDef, st: RecordState, f: FieldDef) -> Any:
        """Current JSON value of field ``f`` of record ``st``."""
        if f.gen in WIDE_GENS:
            narrow = f.extra.get("narrow_gen")
            usual = self.gen_value(mdef, st, f, narrow) if narrow else None
            return wide_value(self.wide, f, st.index, self.h(mdef, st, f.api_name), usual)
        return self.gen_value(mdef, st, f, f.gen)

    def gen_value(self, mdef: ModuleDef, st: RecordState, f: FieldDef, g: str) -> Any:
        """JSON value of field ``f`` of record ``st`` made by the value generator ``g``."""
        if g == "added":
            return added_value(f, st)
        if g == "created_time":
            return self.dt(st.created)
        if g == "modified_time":
            return self.dt(st.modified)
        if g == "created_by":
            return self.user(st.creator)
        if g == "modified_by":
            return self.user(st.modifier if st.modifier is not None else st.creator)
        h = self.h(mdef, st, f.api_name)
        if g == "owner":
            return self.user(self.user_idx(h))
        if g == "user":
            u = self.catalog.user_rows[self.user_idx(h)]
            return {"name": u["full_name"], "id": u["id"]}
        if g == "pick":
            return f.values[h % len(f.values)]
        if g == "sparse_pick":
            return f.values[h % len(f.values)] if h % 10 < 3 else None
        if g == "multipick":
            return [v for i, v in enumerate(f.values) if mix(h, i) % 3 == 0]
        if g == "first_name":
            return FIRST[h % len(FIRST)]
        if g == "last_name":
            return LAST[h % len(LAST)]
        if g == "full_name":
            first = self.dep(mdef, st, "First_Name")
            last = self.dep(mdef, st, "Last_Name") or LAST[h % len(LAST)]
            return f"{first} {last}" if first else last
        if g in ("company", "deal_name", "campaign_name", "price_book_name", "vehicle_name", "product_name"):
            base = f"{COMPANY_A[h % len(COMPANY_A)]} {COMPANY_B[(h >> 8) % len(COMPANY_B)]}"
            suffix = {"company": "", "deal_name": " - Deal", "campaign_name": " Campaign",
                      "price_book_name": " Price Book", "vehicle_name": "", "product_name": ""}[g]
            if g == "product_name":
                base = f"{PRODUCTS[h % len(PRODUCTS)]} {COMPANY_A[(h >> 8) % len(COMPANY_A)]}"
            if g == "vehicle_name":
                base = f"Fleet car {st.index + 1}"
                if st.version(f.api_name):  # renamed: the initial name does not depend on the hash
                    base = f"{base} {COMPANY_A[h % len(COMPANY_A)]}"
            return f"{base}{suffix} {st.index + 1}" if g != "vehicle_name" else base
        if g == "job_title":
            return TITLES[h % len(TITLES)]
        if g == "department":
            return DEPARTMENTS[h % len(DEPARTMENTS)]
        if g in ("email", "email2"):
            if g == "email2" and h % 4:
                return None
            first = self.dep(mdef, st, "First_Name") or FIRST[h % len(FIRST)]
            last = self.dep(mdef, st, "Last_Name") or LAST[(h >> 3) % len(LAST)]
            last = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode().lower().replace("'", "")
            domain = "example.com" if g == "email" else "example.org"
            return f"{first[0].lower()}.{last}{st.index + 1}@{domain}"
        if g in ("phone", "maybe_phone"):
            if g == "maybe_phone" and h % 3:
                return None
            return f"+91 {90000 + h % 9999:05d} {h % 100000:05d}"
        if g == "website":
            return f"https://www.{COMPANY_A[h % len(COMPANY_A)].lower().replace(' ', '')}.example.com"
        if g == "skype":
            return f"live:{FIRST[h % len(FIRST)].lower()}{st.index}" if h % 2 else None
        if g == "twitter":
            return f"{FIRST[h % len(FIRST)].lower()}_{st.index}" if h % 2 else None
        if g == "maybe_name":
            return f"{FIRST[h % len(FIRST)]} {LAST[(h >> 7) % len(LAST)]}" if h % 3 == 0 else None
        if g == "street":
            return f"{1 + h % 400} {STREETS[(h >> 9) % len(STREETS)]}"
        if g == "city":
            return CITIES[h % len(CITIES)]
        if g == "state":
            return STATES[h % len(STATES)]
        if g == "zip":
            return f"{600000 + h % 99999}"
        if g == "country":
            return COUNTRIES[h % len(COUNTRIES)]
        if g == "ticker":
            return f"{COMPANY_A[h % len(COMPANY_A)][:3].upper()}{h % 1000:03d}"
        if g in ("employees", "small_int", "sic", "probability", "year", "call_seconds"):
            return {"employees": 1 + h % 5000, "small_int": h % 90, "sic": 1000 + h % 8999,
                    "probability": (h % 11) * 10, "year": 2005 + h % 20, "call_seconds": 30 + h % 3600}[g]
        if g in ("revenue", "amount", "price", "small_money"):
            scale = {"revenue": 10_000_000, "amount": 500_000, "price": 5_000, "small_money": 500}[g]
            return round((h % (scale * 100)) / 100, 2)
        if g in ("double", "qty"):
            return round((h % 100_000) / 100, 2) if g == "double" else float(h % 500)
        if g == "percent":
            return round((h % 10_000) / 100, 2)
        if g == "bigint":
            return str(10_000_000_000 + h % 89_999_999_999)
        if g == "bool":
            return bool(h % 2)
        if g == "false":
            return False
        if g == "null":
            return None
        if g == "image":
            return f"{h:032x}"[:32] if h % 5 == 0 else None
        if g == "currency_code":
            return currency_for(h % 100).iso_code
        if g == "exchange_rate":
            return CURRENCY_BY_CODE[self.dep(mdef, st, "Currency") or HOME_CURRENCY].rate
        if g == "territories":
            return self.territories(mdef, st, h)
        if g == "pipeline":
            return pipeline_for(h % 100).name
        if g == "deal_stage":
            stages = self.pipeline(mdef, st).stages
            return stages[h % len(stages)]
        if g == "stage_probability":
            stage = STAGE_BY_NAME.get(self.dep(mdef, st, "Stage") or "")
            return stage.probability if stage else None
        if g == "hist":
            return self.trackers[mdef.api_name].value(st, f.api_name)
        if g == "hist_deal":
            return self.trackers[mdef.api_name].parent_ref(st)
        if g in ("past_date", "birth_date"):
            span = 3 * 365 * 86400 if g == "past_date" else 40 * 365 * 86400
            return self.date(st.created - (h % span) - (0 if g == "past_date" else 20 * 365 * 86400))
        if g == "future_date":
            return self.date(st.created + h % (365 * 86400))
        if g == "closing_date":  # an open deal's expected close; a closed deal closed when it entered its stage
            if self.forecast_type(mdef, st) == "Open":
                return self.date(st.created + h % (365 * 86400))
            return self.date(self.stage_entered(mdef, st))
        if g == "loss_reason":
            return f.values[h % len(f.values)] if self.forecast_type(mdef, st) == "Closed Lost" and h % 4 else None
        if g == "task_closed":  # completed tasks only, within two weeks of creation, never after the last edit
            if self.dep(mdef, st, "Status") != "Completed":
                return None
            return self.dt(min(st.created + h % (14 * 86400), st.modified))
        if g == "sparse_datetime":
            return self.dt(st.created + h % max(1, st.modified - st.created + 1)) if h % 4 == 0 else None
        if g == "last_activity":
            return self.dt(st.modified)
        if g == "event_start":
            return self.dt(self.start_time(mdef, st, f.api_name))
        if g == "event_end":
            return self.dt(self.start_time(mdef, st, "Start_DateTime") + 1800 + 1800 * (h % 4))
        if g == "call_start":  # a call that is no longer scheduled took place by its last edit
            start = self.start_time(mdef, st, f.api_name)
            return self.dt(start if self.dep(mdef, st, "Outgoing_Call_Status") == "Scheduled" else
                           min(start, st.modified))
        if g == "check_in":  # some events are checked into, at the event and by the event's last edit
            start = self.start_time(mdef, st, "Start_DateTime")
            return self.dt(min(start + h % 1800, st.modified)) if h % 4 == 0 and start <= st.modified else None
        if g == "call_duration":
            secs = 30 + self.h(mdef, st, "Call_Duration_in_seconds") % 3600
            return f"{secs // 60:02d}:{secs % 60:02d}"
        if g == "sentence":
            return self.words(h, 3 + h % 6).capitalize() if h % 5 else None
        if g == "subject":
            return f"{self.words(h, 2 + h % 3).capitalize()} #{st.index + 1}"
        if g == "paragraph":
            return (self.words(h, 8 + h % 20).capitalize() + ".") if h % 3 else None
        if g == "unicode":
            return f"{UNICODE_BITS[h % len(UNICODE_BITS)]} · {UNICODE_BITS[(h >> 11) % len(UNICODE_BITS)]}"
        if g == "rich_text":
            body = " ".join(f"<p>{self.words(mix(h, i), 12)}.</p>" for i in range(12 + h % 10))
            return f"<div>{body}</div>"
        if g == "long_text":
            return "\n".join(f"Line {i + 1}: {self.words(mix(h, i), 10)}." for i in range(60 + h % 40))
        if g == "vin":
            return f"MA1{h % 10**14:014d}"
        if g == "product_code":
            return f"PC-{h % 100000:05d}"
        if g == "autonumber":
            return f"{f.prefix}{1000 + st.index}"
        if g == "record_status":
            return "Available"
        if g == "layout":
            return {"name": "Standard", "id": str(self.catalog.layout_id(mdef.api_name))}
        if g == "tag":
            if h % 5:
                return []
            name, colour = TAG_NAMES[(h >> 3) % len(TAG_NAMES)]
            return [{"name": name, "id": str(self.catalog.tag_id(name, mdef.api_name)), "color_code": colour}]
        if g == "converted":
            return st.converted is not None
        if g == "converted_time":
            return self.dt(st.converted)
        if g == "lookup":
            return self.ref(f.lookup or "", h)
        if g == "sparse_lookup":
            return self.ref(f.lookup or "", h) if h % 10 < 6 else None
        if g == "what_id":
            return self.ref(self.what_module(mdef, st), h) if h % 10 < 8 else None
        if g == "expected_revenue":
            amount = self.dep(mdef, st, "Amount") or 0.0
            prob = self.dep(mdef, st, "Probability") or 0
            return round(amount * prob / 100, 2)
        if g == "formula_double":
            rev = self.dep(mdef, st, "Annual_Revenue") or 0.0
            emp = self.dep(mdef, st, "No_of_Employees") or 1
            return round(rev / emp, 2)
        if g == "formula_text":
            return f"{self.dep(mdef, st, 'Country')} / {self.dep(mdef, st, 'Rating')}"
        if g == "formula_age":  # Datecomp(Now(), Created_Time)/1440, Now() = when the formula was last evaluated
            return round((st.formula_time() - st.created) / 86400, 2)
        if g == "rollup":
            return self.rollups[f"{mdef.api_name}.{f.api_name}"].value(st)
        if g in ("sub_total", "inv_tax", "grand_total", "inv_discount", "adjustment"):
            return self.totals(mdef, st)[g]
        if g == "line_items":
            return self.line_items(mdef, st, f)
        if g == "subform":
            return self.subform_rows(mdef, st, f)
        if g == "msl":
            return [{"Contacts": r["Contacts"], "id": r["id"]} for r in self.linking_rows(mdef, st, f)]
        if g == "pricing_details":
            return self.pricing(mdef, st)
        return None

    def start_time(self, mdef: ModuleDef, st: RecordState, name: str) -> int:
        """Start of an event or call (field ``name``): within 90 days of creation, on a quarter hour."""
        start = st.created + self.h(mdef, st, name) % (90 * 86400)
        return start - start % 900

    def forecast_type(self, mdef: ModuleDef, st: RecordState) -> str | None:
        """"Open", "Closed Won" or "Closed Lost": the forecast type of the deal's Stage (None without one)."""
        stage = STAGE_BY_NAME.get(self.dep(mdef, st, "Stage") or "")
        return stage.forecast_type if stage else None

    def stage_entered(self, mdef: ModuleDef, st: RecordState) -> int:
        """When the deal entered its current Stage (its stage history), else its last edit: the change being made."""
        stage = mdef.field("Stage")
        tracker = self.trackers.get(stage.tracked_by or "") if stage is not None else None
        entered = tracker.entered(st) if tracker is not None else None
        return entered if entered is not None else st.modified

    def territories(self, mdef: ModuleDef, st: RecordState, h: int) -> list[dict[str, Any]]:
        """Accounts: the territory of their Billing_Country; Contacts/Deals: one drawn per record (kept independent of
        the account so that a change of the account never silently changes them)."""
        if mdef.api_name == "Accounts":
            name = TERRITORY_BY_COUNTRY.get(self.dep(mdef, st, "Billing_Country") or "")
        else:
            children = [t.name for t in TERRITORIES if t.parent is not None]
            name = children[h % (len(children) + 1)] if h % (len(children) + 1) < len(children) else None
        if name is None:
            return []
        creator = self.user(st.creator)
        return [{"id": str(self.catalog.territory_id(name)), "Name": name,
                 "$assigned_by": {"name": creator["name"], "id": creator["id"]}, "$assigned_time": self.dt(st.created)}]

    def pipeline(self, mdef: ModuleDef, st: RecordState) -> Any:
        """The deal's pipeline (the first one when the Pipeline field is gone)."""
        return PIPELINE_BY_NAME.get(self.dep(mdef, st, "Pipeline") or "", PIPELINES[0])

    def currency_symbol(self, mdef: ModuleDef, st: RecordState) -> str:
        """``$currency_symbol``: the record's currency, else the home currency's."""
        code = self.value(mdef, st, mdef.field("Currency")) if mdef.field("Currency") else None  # type: ignore[arg-type]
        return CURRENCY_BY_CODE[code or HOME_CURRENCY].symbol

    def what_module(self, mdef: ModuleDef, st: RecordState) -> str:
        """Module of the polymorphic What_Id / Parent_Id (rendered as ``$se_module``)."""
        return ("Accounts", "Deals", "Leads")[self.h(mdef, st, "$se_module") % 3]

    # --- rows --------------------------------------------------------------------------------------------------------
    def row_id(self, st: RecordState, field_name: str, n: int, version: int = 0) -> str:
        """Stable id of the n-th row of a subform/line-item/linking field of a record."""
        offset = (st.id - ID_BASE) * 8 + self.fsalt(field_name) % 8
        return str(ROW_ID_BASE + (offset * 64 + version % 64) * 32 + n)

    def parent_ref(self, mdef: ModuleDef, st: RecordState) -> dict[str, Any]:
        """``Parent_Id`` of rows: ``{name, id}`` of the owning record."""
        return {"name": self.display_name(mdef, st), "id": str(st.id)}

    def line_items(self, mdef: ModuleDef, st: RecordState, f: FieldDef) -> list[dict[str, Any]]:
        """Inventory line items; totals are consistent (Total = Quantity × List_Price, Net = after discount + tax)."""
        h = mix(self.seed, salt(mdef.api_name), st.index, self.fsalt(f.api_name), st.li_version)
        products = self.modules["Products"]
        pdef = products.mdef
        rows = []
        creator = self.user(st.creator)
        modifier = self.user(st.modifier if st.modifier is not None else st.creator)
        for n in range(1 + h % 4):
            rh = mix(h, n)
            product: dict[str, Any] | None = None
            price = 100.0
            if products.initial_count:
                pst = products.by_index[rh % products.initial_count]
                product = {"Product_Code": self.value(pdef, pst, pdef.field("Product_Code")),  # type: ignore[arg-type]
                           "Currency": self.dep(pdef, pst, "Currency") or HOME_CURRENCY,
                           "name": self.display_name(pdef, pst), "id": str(pst.id)}
                price = self.value(pdef, pst, pdef.field("Unit_Price")) or 100.0  # type: ignore[arg-type]
            qty = float(1 + (rh >> 4) % 20)
            total = round(qty * price, 2)
            discount = round(total * ((rh >> 9) % 15) / 100, 2)
            after = round(total - discount, 2)
            tax_pct = (0.0, 5.0, 9.0, 18.0)[(rh >> 13) % 4]
            tax_value = round(after * tax_pct / 100, 2)
            line_tax = [{"percentage": tax_pct, "name": "GST", "id": str(self.catalog.tag_id("GST")),
                         "value": tax_value, "display_name": f"GST ({tax_pct})"}] if tax_pct else []
            rows.append({
                "Product_Name": product, "Product_Description": None if rh % 3 else self.words(rh, 5),
                "Quantity": qty, "List_Price": price, "Unit_Price": price, "Discount": discount, "Total": total,
                "Total_After_Discount": after, "Tax": tax_value, "Net_Total": round(after + tax_value, 2),
                "Line_Tax": line_tax, "Price_Book_Name": None, "Sequence_Number": n + 1,
                "Parent_Id": self.parent_ref(mdef, st), "Created_Time": self.dt(st.created),
                "Modified_Time": self.dt(st.modified), "Created_By": creator, "Modified_By": modifier,
                "id": self.row_id(st, f.api_name, n, st.li_version), "$in_merge": False,
            })
        return rows

    def totals(self, mdef: ModuleDef, st: RecordState) -> dict[str, float]:
        """Header totals of an inventory record, derived from its line items."""
        items = next((f for f in mdef.fields if f.gen == "line_items"), None)
        rows = self.line_items(mdef, st, items) if items else []
        sub = round(sum(r["Net_Total"] for r in rows), 2)
        h = mix(self.seed, salt(mdef.api_name), st.index, 77)
        discount = round(sub * (h % 5) / 100, 2)
        adjustment = float((h >> 5) % 3 * 10)
        return {"sub_total": sub, "inv_tax": 0.0, "inv_discount": discount, "adjustment": adjustment,
                "grand_total": round(sub - discount + adjustment, 2)}

    def subform_rows(self, mdef: ModuleDef, st: RecordState, f: FieldDef) -> list[dict[str, Any]]:
        """Rows of the custom subform (Accounts.Subform_1), in the v7 subform-row shape."""
        h = mix(self.seed, salt(mdef.api_name), st.index, self.fsalt(f.api_name), st.li_version)
        rows = []
        for n in range(h % 4):
            rh = mix(h, n)
            rows.append({"Proficiency": ("Beginner", "Intermediate", "Expert")[rh % 3],
                         "Skill": SKILLS[(rh >> 3) % len(SKILLS)], "Years": (rh >> 7) % 15,
                         "Parent_Id": self.parent_ref(mdef, st), "Created_Time": self.dt(st.created),
                         "Modified_Time": self.dt(st.modified),
                         "Layout": {"name": "Standard", "id": str(self.catalog.layout_id("Subform_1"))},
                         "id": self.row_id(st, f.api_name, n, st.li_version), "$in_merge": False,
                         "$field_states": None, "$zia_visions": None})
        return rows

    def linking_rows(self, mdef: ModuleDef, st: RecordState, f: FieldDef) -> list[dict[str, Any]]:
        """Rows of the Contacts_X_Deals linking module owned by one deal (the multi-select lookup's values)."""
        h = mix(self.seed, salt(mdef.api_name), st.index, self.fsalt(f.api_name), st.version(f.api_name))
        rows = []
        owner = self.user(st.creator)
        for n in range(h % 4):
            contact = self.ref("Contacts", mix(h, n))
            if contact is None:
                break
            rows.append({"Contacts": contact, "Deals": self.parent_ref(mdef, st), "Owner": owner,
                         "Created_Time": self.dt(st.created), "Modified_Time": self.dt(st.modified),
                         "Created_By": owner, "Modified_By": owner,
                         "id": self.row_id(st, f.api_name, n, st.version(f.api_name))})
        return rows

    def pricing(self, mdef: ModuleDef, st: RecordState) -> list[dict[str, Any]]:
        """Price_Books.Pricing_Details ranges."""
        h = self.h(mdef, st, "Pricing_Details")
        rows, lo = [], 1.0
        for n in range(1 + h % 3):
            hi = lo + 99 + 100 * ((h >> n) % 5)
            rows.append({"id": self.row_id(st, "Pricing_Details", n), "from_range": lo, "to_range": hi,
                         "discount": float(5 * (n + 1))})
            lo = hi + 1
        return rows

    # --- whole records --------------------------------------------------------------------------------------------
    def specials(self, mdef: ModuleDef, st: RecordState) -> dict[str, Any]:
        """``$``-prefixed read-only attributes of a record."""
        out: dict[str, Any] = {
            "$currency_symbol": self.currency_symbol(mdef, st), "$field_states": None,
            "$sharing_permission": "full_access", "$process_flow": False, "$locked_for_me": False,
            "$approval": {"delegate": False, "takeover": False, "approve": False, "reject": False, "resubmit": False},
            "$wizard_connection_path": None, "$editable": True,
            "$zia_owner_assignment": "owner_recommendation_unavailable",
            "$review_process": {"approve": False, "reject": False, "resubmit": False}, "$review": None,
            "$zia_visions": None, "$orchestration": False, "$in_merge": False, "$approval_state": st.approval,
            "$pathfinder": False, "$state": "save",
        }
        if mdef.api_name == "Leads":
            out["$converted_detail"] = ({"convert_date": self.dt(st.converted), "converted_by": self.user(st.creator)}
                                        if st.converted is not None else {})
        if mdef.api_name == "Events":
            out["$event_cancelled"] = False
        return out

    def record(self, mdef: ModuleDef, st: RecordState, names: list[str] | None = None, list_mode: bool = False,
               rich_limit: int | None = None) -> dict[str, Any]:
        """Render a record.

        Args:
            mdef: module definition.
            st: record state.
            names: field API names to include (``id`` is always added); None = every field (detail shape).
            list_mode: drop subform / line-item / multi-select-lookup values and cut rich text (Get Records list).
            rich_limit: rich-text cut length in list mode.

        Returns:
            The record as Zoho JSON.
        """
        out: dict[str, Any] = {}
        specials: dict[str, Any] | None = None
        wanted = mdef.fields if names is None else [mdef.field(n) for n in names]
        for f in wanted:
            if f is None:
                continue
            if list_mode and f.detail_only:
                continue
            v = self.value(mdef, st, f)
            if list_mode and f.textarea == "rich_text" and isinstance(v, str) and rich_limit is not None:
                v = v[:rich_limit]
            out[f.api_name] = v
            if f.gen == "what_id":
                out["$se_module"] = self.what_module(mdef, st) if v is not None else None
        if names is None:
            out.update(self.specials(mdef, st))
            more = {f.api_name: False for f in mdef.fields if f.detail_only}
            if more:
                out["$has_more"] = more
        else:
            for n in names:
                if n.startswith("$"):
                    specials = specials or self.specials(mdef, st)
                    if n in specials:
                        out[n] = specials[n]
        out["id"] = str(st.id)
        return out
