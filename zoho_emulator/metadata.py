"""JSON of /settings/modules and /settings/fields, shaped after modules.json / fields.json of the v8 OAS and the
v7 samples (absent sub-objects are ``{}`` when the OAS types them inline, ``null`` when it uses a $ref)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .org_settings import PIPELINE_BY_NAME, STAGE_BY_NAME
from .schema import DEFAULT_LENGTH, FieldDef, ModuleDef

if TYPE_CHECKING:
    from .store import OrgStore

UI_TYPES = {"text": 1, "textarea": 3, "email": 25, "phone": 33, "website": 21, "picklist": 2,
            "multiselectpicklist": 100, "integer": 32, "bigint": 34, "double": 38, "currency": 36, "percent": 35,
            "date": 24, "datetime": 333, "boolean": 301, "lookup": 133, "ownerlookup": 8, "userlookup": 209,
            "autonumber": 80, "formula": 52, "subform": 500, "multiselectlookup": 501, "layout": 1, "profileimage": 502,
            "linetax": 503, "pricing_details": 504, "rollup_summary": 52}
MODULE_DETAIL_KEYS = ("fields", "layouts", "related_lists", "custom_view", "lookup_field_properties",
                      "default_mapping_fields", "layout_associations", "search_layout_fields", "display_field",
                      "per_page", "kanban_view", "filter_status", "zia_view", "$on_demand_properties",
                      "business_card_fields", "related_list_properties")
"""Keys only the single-module call returns (the v7 list sample does not carry them)."""


def minified_module(store: OrgStore, api_name: str) -> dict[str, Any]:
    """``{"api_name", "id"}`` of a module (plus ``module`` name as the OAS Minified_Module allows)."""
    return {"api_name": api_name, "id": str(store.meta_id(f"module:{api_name}"))}


def associated_module(store: OrgStore, api_name: str) -> dict[str, Any]:
    """``associated_module`` of a subform / multi-select-lookup field: Zoho's layouts sample names the module in
    ``module`` (with its layout), the v8 OAS in ``api_name``; the v7 SDK reads ``module`` to type subform rows."""
    return {**minified_module(store, api_name), "module": api_name,
            "layout": {"name": "Standard", "id": str(store.layout_id(api_name))}}


def field_meta(store: OrgStore, mdef: ModuleDef, f: FieldDef, seq: int) -> dict[str, Any]:
    """One element of ``GET /settings/fields`` → ``fields[]``."""
    fid = str(store.meta_id(f"field:{mdef.api_name}:{f.api_name}"))
    label = f.label or f.api_name.replace("__s", "").replace("_", " ")
    dt = f.data_type
    created = store.field_times.get(f"{mdef.api_name}:{f.api_name}")
    if created is None and f.custom_field:
        created = store.start - 400 * 86400
    profiles = [{"permission_type": "read_only" if f.read_only else "read_write", "name": name,
                 "id": str(store.meta_id(f"profile:{name}"))} for name in ("Administrator", "Standard")]
    lookup: dict[str, Any] = {}
    multi_module: dict[str, Any] = {}
    if f.gen == "what_id":
        multi_module = {"display_label": label, "api_name": f.api_name,
                        "modules": [minified_module(store, m) for m in ("Accounts", "Deals", "Leads")]}
    elif dt == "lookup" and f.lookup:
        lookup = {"display_label": label, "api_name": f.api_name, "module": minified_module(store, f.lookup),
                  "id": fid, "query_details": {}, "revalidate_filter_during_edit": False, "show_fields": []}
    msl: dict[str, Any] = {}
    if dt == "multiselectlookup":
        msl = {"display_label": label, "linking_module": minified_module(store, f.linking or ""),
               "connected_module": minified_module(store, f.lookup or ""), "lookup_apiname": mdef.api_name,
               "api_name": f.api_name, "connectedfield_apiname": f.lookup, "connectedlookup_apiname": f.lookup,
               "id": fid, "record_access": True}
    subform_module = f.subform or (f.linking if dt == "multiselectlookup" else None)
    picks = [pick_value(store, mdef, f, v, i + 1) for i, v in enumerate(f.values)
             if dt in ("picklist", "multiselectpicklist")]
    if dt == "picklist":
        picks.insert(0, {"display_value": "-None-", "actual_value": "-None-", "reference_value": "-None-",
                         "id": str(store.meta_id("pick:-None-")), "sequence_number": 0, "type": "used",
                         "colour_code": None})
    decimal = f.decimal_place if f.decimal_place is not None else (2 if dt in ("currency", "percent") else None)
    return {
        "associated_module": associated_module(store, subform_module) if subform_module else None,
        "webhook": True, "operation_type": {"web_update": not f.read_only, "api_create": not f.read_only,
                                            "web_create": not f.read_only, "api_update": not f.read_only},
        "colour_code_enabled_by_system": False, "field_label": label, "tooltip": None, "type": "used",
        "field_read_only": f.read_only, "customizable_properties": [], "display_label": label,
        "read_only": f.read_only, "association_details": None, "businesscard_supported": True,
        "multi_module_lookup": multi_module, "id": fid, "created_time": store.gen.dt(created),
        "modified_time": store.gen.dt(created), "filterable": dt not in ("subform", "multiselectlookup"),
        "visible": True, "refer_from_field": None, "profiles": profiles,
        "view_type": {"view": True, "edit": not f.read_only, "quick_create": f.system_mandatory, "create": True},
        "separator": False, "searchable": dt in ("text", "email", "phone"), "external": None,
        "api_name": f.api_name, "unique": {}, "enable_colour_code": False, "pick_list_values": picks,
        "system_mandatory": f.system_mandatory, "virtual_field": False, "json_type": f.json_type, "crypt": None,
        "created_source": "custom" if f.custom_field else "default", "display_type": -1,
        "ui_type": UI_TYPES.get(dt, 1), "email_parser": {"fields_update_supported": False,
                                                          "record_operations_supported": True},
        "currency": {"precision": 2, "rounding_option": "normal"} if dt == "currency" else {},
        "custom_field": f.custom_field, "lookup": lookup,
        "convert_mapping": ({"Contacts": None, "Deals": None, "Accounts": None} if mdef.api_name == "Leads"
                            else None),
        "rollup_summary": rollup_summary(store, mdef, f) if dt == "rollup_summary" else {},
        "length": f.length or DEFAULT_LENGTH.get(dt, 255),
        "column_name": (f"CUSTOMFIELD{seq}" if f.custom_field else f.api_name.upper()),
        "display_field": f.api_name == mdef.display_field, "pick_list_values_sorted_lexically": False,
        "sortable": dt not in ("subform", "multiselectlookup", "textarea"), "global_picklist": None,
        "history_tracking": history_tracking(store, f), "data_type": dt,
        "formula": ({"return_type": f.return_type, "expression": f.expression or "Annual_Revenue/No_of_Employees"}
                    if dt == "formula" else {}),
        "decimal_place": decimal, "mass_update": not f.read_only,
        "multiselectlookup": msl, "multiuserlookup": None,
        "auto_number": ({"prefix": f.prefix, "suffix": "", "start_number": 1000} if dt == "autonumber" else {}),
        "autonumber": ({"prefix": f.prefix, "suffix": "", "start_number": 1000, "starting_number_length": 4}
                       if dt == "autonumber" else None),
        "subform": ({"module": f.subform, "id": str(store.meta_id(f"module:{f.subform}"))} if f.subform else {}),
        "textarea": {"type": f.textarea} if f.textarea else None,
        "sequence_number": seq, "quick_sequence_number": str(seq), "show_type": 7, "category": 0,
        "sub_module": None, "file_upolad_optionlist": [], "allowed_modules": [], "additional_column": None,
        "hipaa_compliance_enabled": False, "hipaa_compliance": None, "_update_existing_records": False,
        "number_separator": dt in ("integer", "currency", "double"), "static_field": False,
        "available_in_user_layout": True, "blueprint_supported": dt == "picklist",
        "layout_associations": [{"api_name": "Standard", "name": "Standard",
                                 "id": str(store.layout_id(mdef.api_name))}],
        "sharing_properties": None,
    }


def rollup_summary(store: OrgStore, mdef: ModuleDef, f: FieldDef) -> dict[str, Any]:
    """``rollup_summary`` of a rollup summary field, in the shape of the v8 OAS ``Rollup_Summary`` schema (and the v7
    SDK's RollupSummary): return type, expression (function over the child field, criteria null = every child),
    the child module and the parent's related list listing the children. ``rollup_based_on`` "related_list": GUESS
    (no documented sample)."""
    spec = f.rollup
    if spec is None:
        return {}
    return {"return_type": f.return_type,
            "expression": {"function_parameters": [{"api_name": spec.field}], "criteria": None,
                           "function": spec.function},
            "based_on_module": minified_module(store, spec.module),
            "related_list": {"api_name": spec.related_list,
                             "id": str(store.meta_id(f"related_list:{mdef.api_name}:{spec.related_list}"))},
            "rollup_based_on": "related_list"}


def pick_value(store: OrgStore, mdef: ModuleDef, f: FieldDef, value: str, seq: int) -> dict[str, Any]:
    """One ``pick_list_values`` entry. Deals.Stage values carry their probability and forecast type/category, and
    each Pipeline value maps its stages (both documented in fields.json of the v8 OAS)."""
    out: dict[str, Any] = {"display_value": value, "actual_value": value, "reference_value": value,
                           "id": str(store.meta_id(f"pick:{value}")), "sequence_number": seq, "type": "used",
                           "colour_code": None}
    if mdef.api_name == "Deals" and f.api_name == "Stage" and value in STAGE_BY_NAME:
        out.update(stage_meta(store, value))
    elif mdef.api_name == "Deals" and f.api_name == "Pipeline" and value in PIPELINE_BY_NAME:
        stage = mdef.field("Stage")
        out["maps"] = [{"api_name": "Stage", "pick_list_values": [
            pick_value(store, mdef, stage, v, i + 1) for i, v in enumerate(PIPELINE_BY_NAME[value].stages)]}] \
            if stage else []
    return out


def stage_meta(store: OrgStore, name: str) -> dict[str, Any]:
    """Id, probability and forecast type/category of a pipeline stage."""
    stage = STAGE_BY_NAME[name]
    return {"id": str(store.meta_id(f"stage:{name}")), "probability": stage.probability,
            "forecast_type": stage.forecast_type,
            "forecast_category": {"name": stage.forecast_category,
                                  "id": str(store.meta_id(f"forecast:{stage.forecast_category}"))}}


def history_tracking(store: OrgStore, f: FieldDef) -> dict[str, Any] | None:
    """``history_tracking`` of a tracked picklist: its field-tracker module and the module's duration field."""
    if not f.tracked_by or f.tracked_by not in store.mdefs:
        return None
    tracker = store.mdefs[f.tracked_by]
    return {"module": {"api_name": tracker.api_name, "id": str(store.meta_id(f"module:{tracker.api_name}")),
                       "module_name": tracker.module_name, "display_label": tracker.plural},
            "duration_configured_field": {"api_name": "Duration",
                                          "id": str(store.meta_id(f"field:{tracker.api_name}:Duration"))}}


def fields_json(store: OrgStore, mdef: ModuleDef) -> list[dict[str, Any]]:
    """All fields of a module (``type=used``)."""
    return [field_meta(store, mdef, f, i + 1) for i, f in enumerate(mdef.fields)]


def module_status(mdef: ModuleDef) -> str:
    """Modules API ``status`` (v5+): subform/linking modules are system_hidden."""
    return "system_hidden" if mdef.kind in ("subform", "linking") else "visible"  # field trackers: GUESS


def module_meta(store: OrgStore, mdef: ModuleDef, seq: int, detail: bool) -> dict[str, Any]:
    """One element of ``GET /settings/modules`` (``detail`` adds the single-module keys)."""
    data = mdef.kind == "data"
    custom = mdef.generated_type == "custom"
    admin = store.user_rows[0]
    modified = store.start - 500 * 86400 if custom else None
    out: dict[str, Any] = {
        "has_more_profiles": False, "access_type": "org_based", "isBlueprintSupported": data,
        "global_search_supported": data, "deletable": custom, "description": None, "creatable": data,
        "recycle_bin_on_delete": data, "inventory_template_supported": mdef.api_name in (
            "Quotes", "Sales_Orders", "Purchase_Orders", "Invoices"),
        "modified_time": store.gen.dt(modified), "plural_label": mdef.plural, "presence_sub_menu": data,
        "triggers_supported": data, "id": str(store.meta_id(f"module:{mdef.api_name}")), "chart_view": False,
        "visibility": 1, "visible": mdef.kind != "subform", "convertable": mdef.api_name == "Leads",
        "editable": data, "emailTemplate_support": data, "email_parser_supported": data,
        "filter_supported": data, "show_as_tab": mdef.kind in ("data", "meta"), "web_link": None,
        "sequence_number": seq, "singular_label": mdef.singular, "viewable": True,
        "api_supported": mdef.api_supported, "api_name": mdef.api_name, "quick_create": data,
        "generated_type": mdef.generated_type, "feeds_required": False, "scoring_supported": data,
        "webform_supported": data, "arguments": [], "module_name": mdef.module_name,
        "chart_view_supported": data, "profile_count": 2, "business_card_field_limit": 5,
        "track_current_data": False,
        "modified_by": {"name": admin["full_name"], "id": admin["id"]} if custom else None,
        "profiles": [{"name": n, "id": str(store.meta_id(f"profile:{n}"))} for n in ("Administrator", "Standard")],
        "parent_module": minified_module(store, mdef.parent_module) if mdef.parent_module else {},
        "activity_badge": "Enabled" if mdef.parent_module else "Disabled",
        "$field_states": [], "$properties": [], "kanban_view_supported": data,
        "status": module_status(mdef),
    }
    if detail:
        display = mdef.field(mdef.display_field)
        out.update({
            "fields": fields_json(store, mdef) if mdef.api_supported else [],
            "layouts": [{"id": str(store.layout_id(mdef.api_name)), "name": "Standard", "visible": True,
                         "status": "active"}] if mdef.api_supported else [],
            "related_lists": [], "custom_view": None, "display_field": (
                {"api_name": display.api_name, "id": str(store.meta_id(f"field:{mdef.api_name}:{display.api_name}"))}
                if display else None),
            "lookup_field_properties": {"fields": [
                {"sequence_number": 1, "api_name": display.api_name,
                 "id": str(store.meta_id(f"field:{mdef.api_name}:{display.api_name}"))}] if display else []},
            "related_list_properties": {"sort_by": None, "fields": [], "sort_order": None},
            "default_mapping_fields": [], "layout_associations": [], "search_layout_fields": [],
            "per_page": 200 if data else None, "kanban_view": False, "filter_status": data, "zia_view": False,
            "$on_demand_properties": [], "business_card_fields": [],
        })
    return out


def modules_json(store: OrgStore, statuses: set[str] | None = None) -> list[dict[str, Any]]:
    """The ``modules`` array, optionally filtered by the ``status`` query parameter."""
    out = []
    for i, mdef in enumerate(store.mdefs.values()):
        if statuses and module_status(mdef) not in statuses:
            continue
        out.append(module_meta(store, mdef, i + 1, detail=False))
    return out
