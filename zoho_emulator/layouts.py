"""JSON of ``GET /settings/layouts?module=X`` and ``GET /settings/pipeline?layout_id=L``.

Every module has one layout, "Standard" (the ``Layout`` field of its records points at it). Its one section holds
the module's fields in the field-metadata shape plus the layout-only keys (layouts.json of the v8 OAS). The Deals
layout has two pipelines, whose ``maps`` are stages of the Deals ``Stage`` picklist (documented pipeline sample:
display/actual value, sequence_number, forecast_type, forecast_category; the v8 OAS example of zoho/crm-oas
shows two pipelines sharing stage ids).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .metadata import fields_json, stage_meta
from .org_settings import PIPELINES, PROFILES, Pipeline
from .schema import ModuleDef
from .settings_json import SETUP_AGE, minified_user

if TYPE_CHECKING:
    from .store import OrgStore

CONVERT_TARGETS = ("Contacts", "Deals", "Accounts")


def minified_layout(store: OrgStore, module: str) -> dict[str, str]:
    """``{name, id}`` of a module's Standard layout."""
    return {"name": "Standard", "id": str(store.layout_id(module))}


def section_json(store: OrgStore, mdef: ModuleDef) -> dict[str, Any]:
    """The layout's one section, with its fields."""
    section_id = store.meta_id(f"section:{mdef.api_name}")
    # a field's section_id is a small int32 in Zoho's layouts sample, not the section's 19-digit id
    fields = [{**f, "required": f["system_mandatory"], "validation_rule": None, "default_value": None,
               "section_id": 1, "static_values": [], "_delete": None} for f in fields_json(store, mdef)]
    name = f"{mdef.singular} Information"
    return {"id": str(section_id), "name": name, "display_label": name, "api_name": name.replace(" ", "_"),
            "sequence_number": 1, "column_count": 2, "tab_traversal": "left_to_right", "isSubformSection": False,
            "generated_type": "default", "type": "used", "_delete": None, "fields": fields,
            "properties": {"reorder_rows": None, "maximum_rows": None, "tooltip": None}}


def layout_json(store: OrgStore, mdef: ModuleDef) -> dict[str, Any]:
    """The Standard layout of a module."""
    lid = str(store.layout_id(mdef.api_name))
    convert = None
    if mdef.api_name == "Leads":
        convert = {m: minified_layout(store, m) for m in CONVERT_TARGETS}
        convert["Deals"]["fields"] = []
        convert.update(Invoices=None, SalesOrders=None)
    return {
        "id": lid, "name": "Standard", "api_name": "Standard", "display_label": "Standard", "status": "active",
        "visible": True, "source": "crm", "mode": "standard", "generated_type": "default", "display_type": -1,
        "show_business_card": False, "has_more_profiles": False, "subform_properties": {"pinned_column": False},
        "created_time": store.gen.dt(store.start - SETUP_AGE), "modified_time": store.gen.dt(store.start - SETUP_AGE),
        "created_by": minified_user(store), "modified_by": minified_user(store), "created_for": None,
        "profiles": [{"name": name, "id": str(store.meta_id(f"profile:{name}")), "default": True,
                      "_default_view": {"name": "Standard", "id": lid, "type": "layout"}} for name in PROFILES],
        "convert_mapping": convert,
        "actions_allowed": {"edit": True, "rename": True, "clone": True, "downgrade": False, "delete": False,
                            "deactivate": False, "set_layout_permissions": True},
        "sections": [section_json(store, mdef)],
    }


def pipelines_json(store: OrgStore, with_probability: bool) -> list[dict[str, Any]]:
    """The Deals layout's pipelines; ``with_probability`` adds each stage's probability to its map (a variant)."""
    return [pipeline_json(store, p, with_probability) for p in PIPELINES]


def pipeline_json(store: OrgStore, pipeline: Pipeline, with_probability: bool) -> dict[str, Any]:
    """One pipeline with its stages (a stage's map id is the stage's id, shared by every pipeline that has it)."""
    maps = []
    for seq, name in enumerate(pipeline.stages, start=1):
        meta = stage_meta(store, name)
        entry = {"display_value": name, "actual_value": name, "sequence_number": seq, "id": meta["id"],
                 "forecast_type": meta["forecast_type"], "forecast_category": meta["forecast_category"]}
        if with_probability:
            entry["probability"] = meta["probability"]
        maps.append(entry)
    return {"id": str(store.meta_id(f"pipeline:{pipeline.name}")), "display_value": pipeline.name,
            "actual_value": pipeline.name, "default": pipeline.default, "child_available": False, "maps": maps}
