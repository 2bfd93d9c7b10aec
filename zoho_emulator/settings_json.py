"""JSON of the org-level settings endpoints: org, roles, profiles, territories, currencies and tags.

Shapes follow the v8 OAS documents of zoho/crm-oas (org.json, roles.json, profiles.json, territories.json,
currencies.json, tags.json: every required key is present) and the classes of Zoho's Python SDK for v7, which parses
the same keys. The values come from ``org_settings`` and the users of the store, so the answers agree with the
records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .org_settings import (
    CURRENCIES,
    CURRENCY_BY_CODE,
    HOME_CURRENCY,
    ORG_NAME,
    PROFILE_MODULES,
    PROFILES,
    ROLES,
    TAG_NAMES,
    TAGS_ALLOWED,
    TERRITORIES,
)
from .schema import TIME_ZONES

if TYPE_CHECKING:
    from .store import OrgStore

DAY = 86400
SETUP_AGE = 3 * 365 * DAY
"""The org was set up three years before the clock start; its settings date from then."""


def minified_user(store: OrgStore, idx: int = 0) -> dict[str, str]:
    """``{name, id}`` of a user (the admin by default)."""
    u = store.user_rows[idx]
    return {"name": u["full_name"], "id": u["id"]}


def audit(store: OrgStore, created_age: int, modified_age: int, suffix: str = "") -> dict[str, Any]:
    """created/modified time and user keys (``suffix`` "__s" for roles)."""
    return {f"created_time{suffix}": store.gen.dt(store.start - created_age),
            f"modified_time{suffix}": store.gen.dt(store.start - modified_age),
            f"created_by{suffix}": minified_user(store), f"modified_by{suffix}": minified_user(store)}


def org_json(store: OrgStore) -> dict[str, Any]:
    """The ``org`` object of ``GET /org``."""
    admin = store.user_rows[0]
    home = CURRENCY_BY_CODE[HOME_CURRENCY]
    org_id = store.meta_id("org")
    zgid = str(60_000_000 + org_id % 10_000_000)
    return {
        "id": str(org_id), "company_name": ORG_NAME, "alias": None, "description": None, "photo_id": None,
        "type": "Production", "domain_name": f"org{zgid}", "zgid": zgid, "ezgid": f"{org_id:x}",
        "zia_zgid": int(zgid) + 1, "zia_portal_id": None, "primary_zuid": admin["zuid"],
        "primary_email": admin["email"], "phone": "+91 44 6744 7070", "mobile": None, "fax": None,
        "website": "www.zylker.example.com", "employee_count": "154", "street": None, "city": "Chennai",
        "state": "Tamil Nadu", "zip": None, "country": "India", "country_code": "IN",
        "time_zone": TIME_ZONES.get(store.config.tz_offset, f"GMT{store.config.tz_offset}"),
        "currency": home.name, "iso_code": home.iso_code, "currency_symbol": home.symbol, "currency_locale": "en_IN",
        "mc_status": store.config.multi_currency, "gapps_enabled": False, "translation_enabled": False,
        "lite_users_enabled": False, "deletable_org_account": False, "privacy_settings": False,
        "hipaa_compliance_enabled": False, "oauth_presence": True, "call_icon": "", "max_per_page": 200,
        "created_time": store.gen.dt(store.start - SETUP_AGE),
        "license_details": {"paid": True, "paid_type": "enterprise", "paid_expiry": store.gen.dt(
            store.start + 200 * DAY), "users_license_purchased": 10, "trial_type": None, "trial_expiry": None,
            "trial_action": ""},
        "hierarchy_preferences": {"type": "Role_Hierarchy", "strictly_reporting": False},
        "checkin_preferences": {"restricted_event_types": None},
    }


def role_ref(store: OrgStore, name: str | None) -> dict[str, str] | None:
    """``{name, id}`` of a role."""
    return {"name": name, "id": str(store.meta_id(f"role:{name}"))} if name else None


def roles_json(store: OrgStore) -> list[dict[str, Any]]:
    """``roles`` of ``GET /settings/roles``: the hierarchy the users' roles belong to."""
    return [{"id": str(store.meta_id(f"role:{name}")), "name": name, "display_label": name,
             "reporting_to": role_ref(store, parent), "forecast_manager": None, "share_with_peers": parent is None,
             "description": None, "admin_user": parent is None, **audit(store, SETUP_AGE, SETUP_AGE // 2, "__s")}
            for name, parent in ROLES]


def profiles_json(store: OrgStore) -> list[dict[str, Any]]:
    """``profiles`` of ``GET /settings/profiles`` (a sample of module permissions per profile)."""
    out = []
    for name in PROFILES:
        admin = name == "Administrator"
        perms = []
        for module in PROFILE_MODULES:
            for action in ("View", "Create", "Edit", "Delete"):
                perm = f"Crm_Implied_{action}_{module}"
                perms.append({"id": str(store.meta_id(f"permission:{name}:{perm}")), "name": perm,
                              "display_label": action, "module": module, "enabled": admin or action != "Delete"})
        sections = [{"name": "modules", "categories": [
            {"name": module, "display_label": module, "module": module,
             "permissions_details": [p["id"] for p in perms if p["module"] == module]} for module in PROFILE_MODULES]}]
        out.append({"id": str(store.meta_id(f"profile:{name}")), "name": name, "display_label": name,
                    "description": f"This profile has {'all' if admin else 'limited'} the permissions.",
                    "default": not admin, "custom": False, "category": False, "type": "normal_profile",
                    "permission_type": "web_and_api", "permissions_details": perms, "sections": sections,
                    **audit(store, SETUP_AGE, SETUP_AGE // 3)})
    return out


def territories_json(store: OrgStore) -> list[dict[str, Any]]:
    """``territories`` of ``GET /settings/territories``: Accounts fall in by Billing_Country (account rule)."""
    field = {"api_name": "Billing_Country", "id": str(store.meta_id("field:Accounts:Billing_Country"))}
    out = []
    for t in TERRITORIES:
        leaves = [{"comparator": "equal", "field": field, "value": country} for country in t.countries]
        rule = leaves[0] if len(leaves) == 1 else ({"group_operator": "or", "group": leaves} if leaves else None)
        out.append({"id": str(store.territory_id(t.name)), "name": t.name, "api_name": t.name.replace(" ", "_"),
                    "description": None if t.parent else "Organization Parent Territory",
                    "permission_type": "read_write_delete", "manager": minified_user(store),
                    "reporting_to": ({"name": t.parent, "id": str(store.territory_id(t.parent))} if t.parent
                                     else None),
                    "account_rule_criteria": rule, "deal_rule_criteria": None,
                    **audit(store, SETUP_AGE, SETUP_AGE // 2)})
    return out


def currencies_json(store: OrgStore) -> list[dict[str, Any]]:
    """``currencies`` of ``GET /org/currencies``; exchange_rate is a string with nine decimals."""
    return [{"id": str(store.meta_id(f"currency:{c.iso_code}")), "name": c.name, "iso_code": c.iso_code,
             "symbol": c.symbol, "exchange_rate": f"{c.rate:.9f}", "is_active": c.active,
             "is_base": c.iso_code == HOME_CURRENCY, "prefix_symbol": True,
             "format": {"decimal_separator": "Period", "thousand_separator": "Comma", "decimal_places": "2"},
             **audit(store, SETUP_AGE, SETUP_AGE // 4)} for c in CURRENCIES]


def tags_json(store: OrgStore, module: str) -> dict[str, Any]:
    """Body of ``GET /settings/tags?module=X``: the tags the module's records carry in ``Tag``."""
    tags = [{"id": str(store.tag_id(name, module)), "name": name, "color_code": colour,
             **audit(store, SETUP_AGE // 2, SETUP_AGE // 5)} for name, colour in TAG_NAMES]
    return {"tags": tags, "info": {"count": len(tags), "allowed_count": TAGS_ALLOWED}}
