"""Zoho's official Python SDK for API v7 (``zohocrmsdk7-0``) pointed at an emulator, with its global state isolated.

The SDK keeps process-global state: ``Initializer`` (class attributes and a thread-local), ``Utility``'s module
and field-type caches, and file handlers on the ``SDKLogger`` logger. ``SdkSession`` snapshots all of it before
``Initializer.initialize`` and puts it back on ``close``, so other tests never see an initialised SDK.
"""

from __future__ import annotations

import csv
import json
import logging
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

