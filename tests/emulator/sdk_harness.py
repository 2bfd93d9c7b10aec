"""Zoho's official Python SDK for API v7 (``zohocrmsdk7-0``) pointed at an emulator, with its global state isolated.

The SDK keeps process-global state: ``Initializer`` (class attributes and a thread-local), ``Utility``'s module
and field-type caches, and file handlers on the ``SDKLogger`` logger. ``SdkSession`` snapshots all of it before
``Initializer.initialize`` and puts it back on ``close``, so other tests never see an initialised SDK.
"""

from __future__ import annotations

import csv
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore
from zohocrmsdk.src.com.zoho.api.logger import Logger
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig
from zohocrmsdk.src.com.zoho.crm.api.util.api_response import APIResponse
from zohocrmsdk.src.com.zoho.crm.api.util.utility import Utility

from zoho_emulator import ZohoEmulator

SDK_API = "zohocrmsdk.src.com.zoho.crm.api."
CHOICE = SDK_API + "util.Choice"
SCALARS: dict[str, Any] = {
    "String": lambda v: isinstance(v, str), "TimeZone": lambda v: isinstance(v, str),
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Long": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and v.isdigit()),
    "Double": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool), "Map": lambda v: isinstance(v, dict), "Object": lambda v: True,
    "DateTime": lambda v: _iso(v, "T"), "Date": lambda v: _iso(v, ""),
}
"""JSON check per SDK member type (json_details.json ``type``)."""

UTILITY_STATE = ("apitype_vs_datatype", "apitype_vs_structurename", "new_file", "get_modified_modules",
                 "force_refresh", "module_api_name", "api_supported_modules")
SDK_LOGGER = "SDKLogger"


class SdkSession:
    """An initialised SDK whose API and accounts URLs point at ``emu``; tokens, field caches and logs in ``workdir``."""

    def __init__(self, emu: ZohoEmulator, workdir: Path) -> None:
        self.emu = emu
        self.workdir = workdir
        self.token_file = workdir / "tokens.csv"
        self.log_file = workdir / "sdk.log"
        self._saved_initializer = (Initializer.initializer, getattr(Initializer.LOCAL, "init", None))
        self._saved_utility = {name: _copy(getattr(Utility, name)) for name in UTILITY_STATE}
        logger = logging.getLogger(SDK_LOGGER)
        self._saved_logger = (list(logger.handlers), logger.level)
        environment = DataCenter.Environment(emu.base_url, f"{emu.base_url}/oauth/v2/token", emu.base_url)
        token = OAuthToken(client_id=emu.client_id, client_secret=emu.client_secret, refresh_token=emu.refresh_token)
        Initializer.initialize(environment=environment, token=token, store=FileStore(str(self.token_file)),
                               sdk_config=SDKConfig(auto_refresh_fields=False, pick_list_validation=False),
                               resource_path=str(workdir),
                               logger=Logger.get_instance(Logger.Levels.INFO, str(self.log_file)))

    def close(self) -> None:
        """Put back every piece of SDK global state this session changed."""
        Initializer.initializer, Initializer.LOCAL.init = self._saved_initializer
        for name, value in self._saved_utility.items():
            setattr(Utility, name, value)
        logger = logging.getLogger(SDK_LOGGER)
        handlers, level = self._saved_logger
        for handler in [h for h in logger.handlers if h not in handlers]:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(level)

    def token_rows(self) -> list[list[str]]:
        """Rows of the SDK's token store (after its header row)."""
        with open(self.token_file, newline="") as fh:
            return list(csv.reader(fh))[1:]

    def field_cache(self) -> dict[str, Any]:
        """The SDK's own per-user cache of field types (``resources/*.json``), as it wrote it."""
        files = list((self.workdir / "resources").glob("*.json"))
        assert len(files) == 1, files
        return dict(json.loads(files[0].read_text()))


def _copy(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else value


def success(response: APIResponse | None, wrapper: type) -> Any:
    """The parsed object of a 200 response, asserting it is the SDK's success wrapper (not an APIException).

    The SDK swallows an SDKException raised while parsing and returns None, so None is a parse failure too.
    """
    assert response is not None, "the SDK returned no response: it could not parse the answer (see sdk.log)"
    obj = response.get_object()
    assert response.get_status_code() == 200, (response.get_status_code(), _describe(obj))
    assert isinstance(obj, wrapper), f"expected {wrapper.__module__}.{wrapper.__name__}, got {_describe(obj)}"
    return obj


def _describe(obj: Any) -> str:
    if obj is not None and hasattr(obj, "get_code") and hasattr(obj, "get_message"):
        code = obj.get_code()
        return f"{type(obj).__name__}({getattr(code, 'get_value', lambda: code)()}: {obj.get_message()})"
    return type(obj).__name__


def choice(value: Any) -> Any:
    """The plain value of an SDK ``Choice`` (or the value itself)."""
    return value.get_value() if hasattr(value, "get_value") else value



def type_mismatches(body: Any, class_path: str, path: str = "$") -> list[str]:
    """Keys of ``body`` whose JSON type differs from the type the SDK declares for them in json_details.json.

    The SDK's parser is lenient (``bool("false")`` is True, a dict where a list is declared is iterated by key), so
    a wrong type would pass its parse silently; this walks the SDK's own class descriptions instead. Record
    classes are dynamic (typed by field metadata) and are left to the value checks of the tests.
    """
    detail = Initializer.json_details.get(SDK_API + class_path if not class_path.startswith(SDK_API) else class_path)
    if detail is None:
        return [f"{path}: unknown SDK class {class_path}"]
    if class_path.endswith(".Record") or detail.get("interface"):
        return []
    if not isinstance(body, dict):
        return [f"{path}: {type(body).__name__} where {class_path} is declared"]
    members = {d["name"]: d for d in detail.values() if isinstance(d, dict) and "name" in d}
    out: list[str] = []
    for key, value in body.items():
        if key in members and value is not None:
            out += _member_mismatches(value, members[key], f"{path}.{key}")
    return out


def _member_mismatches(value: Any, member: dict[str, Any], path: str) -> list[str]:
    declared, structure = member.get("type"), member.get("structure_name")
    if declared == "List":
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} where a List is declared"]
        if structure and structure != CHOICE:
            return [m for i, item in enumerate(value) for m in type_mismatches(item, structure, f"{path}[{i}]")]
        return []
    if CHOICE in (declared, structure):
        return [] if not isinstance(value, (dict, list)) else [f"{path}: {type(value).__name__} where a Choice is"]
    if declared in SCALARS:
        return [] if SCALARS[declared](value) else [f"{path}: {value!r} is not a {declared}"]
    if structure:
        return type_mismatches(value, structure, path)
    return [f"{path}: SDK type {declared} not understood"]


def _iso(value: Any, separator: str) -> bool:
    if not isinstance(value, str) or (separator and separator not in value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
