"""HTTP layer: dlt's RESTClient with Zoho's paginator, 204/304 as empty, and Zoho's error envelope as exceptions."""

import contextlib
import functools
from typing import IO, Any, Dict, Iterator, List, Optional

from dlt.common.jsonpath import compile_path
from dlt.sources.helpers.requests.session import DEFAULT_TIMEOUT
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.client import PageData
from dlt.sources.helpers.rest_client.exceptions import IgnoreResponseException
from dlt.sources.helpers.rest_client.paginators import BasePaginator
from requests import ConnectionError as RequestsConnectionError
from requests import Response, Timeout

from ..errors import (
    ZohoAccessError,
    ZohoApiError,
    ZohoConnectionError,
    ZohoInvalidModuleError,
)
from ..settings import API_VERSION
from .auth import ZohoOAuth
from .gate import ZohoGate

ACCESS_ERROR_CODES = frozenset(
    {"OAUTH_SCOPE_MISMATCH", "NO_PERMISSION", "NOT_SUPPORTED", "INVALID_TOKEN", "AUTHENTICATION_FAILURE"}
)


class ZohoPaginator(BasePaginator):
    """Zoho Get Records paging: page numbers until Zoho hands out `next_page_token`, then only the token.

    Page numbers stop at 2,000 records and `page` may not be combined with `page_token`; the token is bound to the
    other parameters, which therefore stay byte-identical along the chain.
    """

    def __init__(self) -> None:
        super().__init__()
        self.page = 1
        self.token: Optional[str] = None

    def update_state(self, response: Response, data: Optional[List[Any]] = None) -> None:
        """Read `info.more_records`, `info.page` and `info.next_page_token`."""
        info = response.json().get("info") or {}
        if not info.get("more_records"):
            self._has_next_page = False
            return
        self.token = info.get("next_page_token") or None
        self.page = int(info.get("page") or self.page) + 1

    def update_request(self, request: Any) -> None:
        """Ask for the next page, by token when there is one."""
        if request.params is None:
            request.params = {}
        if self.token:
            request.params.pop("page", None)
            request.params["page_token"] = self.token
        else:
            request.params["page"] = self.page


class ZohoClient:
    """A thin layer over `RESTClient` for `{api_base_url}/crm/v7`; every request passes the run's `ZohoGate`."""

    def __init__(self, api_base_url: str, auth: ZohoOAuth, gate: ZohoGate, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.api_base_url = api_base_url.rstrip("/")
        self.auth = auth
        self.gate = gate
        self.rest = RESTClient(
            base_url=f"{self.api_base_url}/crm/{API_VERSION}", auth=auth, session=gate.session(timeout)
        )

    def paginate(
        self,
        path: str,
        module: Optional[str] = None,
        params: Optional[Dict[str, Any]] = None,
        headers: Optional[Dict[str, str]] = None,
        data_selector: str = "data",
    ) -> Iterator[PageData[Any]]:
        """Yield the pages of a Zoho listing; 204/304 end it quietly, errors raise `ZohoApiError`."""
        pages = self.rest.paginate(
            path,
            params=dict(params or {}),
            headers=headers,
            paginator=ZohoPaginator(),
            data_selector=_compiled(data_selector),  # dlt would parse the JSONPath again for every page
            hooks=self._hooks(module),
        )
        with _connection_errors_as_user_errors(self.api_base_url):
            yield from pages

    def get_data(
        self,
        path: str,
        module: Optional[str] = None,
        params: Optional[Dict[str, Any]] = None,
        data_selector: str = "data",
    ) -> List[Dict[str, Any]]:
        """GET one response and return its `data_selector` list (empty on 204/304)."""
        with _connection_errors_as_user_errors(self.api_base_url):
            try:
                response = self.rest.get(path, params=params, hooks=self._hooks(module))
            except IgnoreResponseException:
                return []
        return list(response.json().get(data_selector) or [])

    def post_json(self, url: str, body: Dict[str, Any], module: Optional[str] = None) -> Dict[str, Any]:
        """POST a JSON body to a Zoho URL (`https://…/crm/bulk/v7/read`) and return the answer's JSON."""
        with _connection_errors_as_user_errors(self.api_base_url):
            response = self.rest.request(url, method="POST", json=body, hooks=self._hooks(module))
        return dict(response.json())

    def get_json(self, url: str, module: Optional[str] = None) -> Dict[str, Any]:
        """GET a Zoho URL outside `/crm/v7` (a Bulk Read job) and return the answer's JSON."""
        with _connection_errors_as_user_errors(self.api_base_url):
            response = self.rest.get(url, hooks=self._hooks(module))
        return dict(response.json())

    def download(self, url: str, module: Optional[str] = None) -> IO[bytes]:
        """GET a file (a Bulk Read result) into a temporary file, read inside the gate; the caller closes it."""
        with _connection_errors_as_user_errors(self.api_base_url):
            response = self.rest.session.get(url, auth=self.auth, stream=True, hooks=self._hooks(module))
        return response.body_file  # type: ignore[attr-defined, no-any-return]

    def _hooks(self, module: Optional[str]) -> Dict[str, List[Any]]:
        return {"response": [functools.partial(_check_response, module=module)]}


_compiled = functools.lru_cache(maxsize=None)(compile_path)


def _check_response(response: Response, *args: Any, module: Optional[str], **kwargs: Any) -> None:
    if response.status_code in (204, 304):
        raise IgnoreResponseException
    if response.status_code >= 400:
        raise api_error(response, module)


@contextlib.contextmanager
def _connection_errors_as_user_errors(api_base_url: str) -> Iterator[None]:
    """Turn connection failures left after dlt's retries into a one-line user error."""
    try:
        yield
    except (RequestsConnectionError, Timeout) as ex:
        raise ZohoConnectionError(
            f"cannot reach the Zoho CRM API at {api_base_url} ({type(ex).__name__}): "
            "check data_center / api_base_url and the network"
        ) from None


def api_error(response: Response, module: Optional[str]) -> ZohoApiError:
    """Build the typed error for a Zoho error response."""
    error = ZohoApiError(response, module)
    if error.code in ACCESS_ERROR_CODES:
        return ZohoAccessError(response, module)
    if error.code == "INVALID_MODULE":
        return ZohoInvalidModuleError(response, module)
    return error
