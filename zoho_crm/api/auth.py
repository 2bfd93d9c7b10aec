"""Zoho OAuth: the credentials spec and the refresh-token grant shared by every request of a run.

Zoho allows only 10 access tokens per refresh token per 10 minutes, so one token is obtained per run, shared by
all extract threads under a lock, renewed shortly before it expires, and renewed once more only when the API
answers `INVALID_TOKEN` for the token currently in use.
"""

import threading
from typing import Any, Dict, Optional

import pendulum
from dlt.common.configuration import configspec
from dlt.common.configuration.specs import CredentialsConfiguration
from dlt.common.configuration.specs.base_configuration import NotResolved
from dlt.common.typing import Annotated, TSecretStrValue
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client.auth import OAuth2ClientCredentials
from requests import ConnectionError as RequestsConnectionError
from requests import PreparedRequest, Response, Timeout

from ..errors import ZohoAuthError, ZohoConnectionError, json_or_empty
from ..settings import TOKEN_EXPIRY_MARGIN_SECONDS

AUTH_SCHEME = "Zoho-oauthtoken"


@configspec
class ZohoCrmCredentials(CredentialsConfiguration):
    """OAuth client and refresh token of a Zoho Self Client (`[sources.zoho_crm.credentials]`)."""

    client_id: str = None
    client_secret: TSecretStrValue = None
    refresh_token: TSecretStrValue = None


@configspec
class ZohoOAuth(OAuth2ClientCredentials):
    """Refresh-token grant against `{accounts_url}/oauth/v2/token`, sending `Authorization: Zoho-oauthtoken`."""

    refresh_token: TSecretStrValue = None
    lock: Annotated[Any, NotResolved()] = None

    def __post_init__(self) -> None:
        if self.session is None:
            self.session = retrying_session()
        super().__post_init__()
        self.lock = threading.Lock()

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = f"{AUTH_SCHEME} {self.current_token()}"
        # requests' own pattern (HTTPDigestAuth): a response hook re-sends the request after a 401
        request.register_hook("response", self._retry_with_new_token)
        return request

    def current_token(self) -> str:
        """Return a valid access token, obtaining one if there is none or it is about to expire."""
        with self.lock:
            if self.access_token is None or self.is_token_expired():
                self.obtain_token()
            return str(self.access_token)

    def renew(self, stale_token: Optional[str]) -> str:
        """Obtain a new token unless another thread already replaced `stale_token`."""
        with self.lock:
            if self.access_token is None or self.access_token == stale_token:
                self.obtain_token()
            return str(self.access_token)

    def obtain_token(self) -> None:
        """POST the refresh grant and map Zoho's token-endpoint errors (sent with HTTP 200) to user errors."""
        try:
            response = self.session.post(self.access_token_url, **self.build_access_token_request())
        except (RequestsConnectionError, Timeout) as ex:
            raise ZohoConnectionError(
                f"cannot reach the Zoho accounts server at {self.access_token_url} ({type(ex).__name__}): "
                "check data_center / accounts_url and the network"
            ) from None
        payload = json_or_empty(response)
        error = payload.get("error")
        if error or not payload.get("access_token"):
            raise ZohoAuthError(_token_error_message(str(error or f"HTTP {response.status_code}"), payload))
        self.parse_native_representation(self.parse_access_token(payload))
        expires_in = self.parse_expiration_in_seconds(payload)
        margin = min(TOKEN_EXPIRY_MARGIN_SECONDS, expires_in * 0.1)
        self.token_expiry = pendulum.now().add(seconds=expires_in - margin)

    def build_access_token_request(self) -> Dict[str, Any]:
        """Form body of Zoho's refresh-token grant."""
        return {
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            "data": {
                "grant_type": "refresh_token",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "refresh_token": self.refresh_token,
            },
        }

    def _retry_with_new_token(self, response: Response, **kwargs: Any) -> Response:
        if not _is_invalid_token(response) or getattr(response.request, "zoho_token_retried", False):
            return response
        used = str(response.request.headers.get("Authorization", "")).replace(f"{AUTH_SCHEME} ", "")
        token = self.renew(stale_token=used)
        response.close()
        retry = response.request.copy()
        retry.headers["Authorization"] = f"{AUTH_SCHEME} {token}"
        retry.zoho_token_retried = True  # type: ignore[attr-defined]
        new_response: Response = response.connection.send(retry, **kwargs)
        new_response.history.append(response)
        new_response.request = retry
        return new_response


def retrying_session() -> Any:
    """A requests session with dlt's retries (429, 5xx, connection errors) tuned by `[runtime] request_*`."""
    client = Client(raise_for_status=False)
    client.configure()
    return client.session


def _is_invalid_token(response: Response) -> bool:
    """401 INVALID_TOKEN, or a 401/403 whose message says the token is invalid (the seed lists both codes)."""
    if response.status_code not in (401, 403):
        return False
    payload = json_or_empty(response)
    code = str(payload.get("code", ""))
    if code in ("INVALID_TOKEN", "INVALID_OAUTHTOKEN"):
        return True
    message = str(payload.get("message", "")).lower()
    return code not in ("OAUTH_SCOPE_MISMATCH", "NO_PERMISSION") and "invalid" in message and "token" in message


def _token_error_message(error: str, payload: Dict[str, Any]) -> str:
    if error == "invalid_client" or error == "invalid_client_secret":
        return (
            f"Zoho rejected the OAuth client ({error}): check credentials.client_id and client_secret, and that "
            "data_center (or accounts_url) is the data centre where the client was created"
        )
    if error == "invalid_code":
        return (
            "Zoho rejected the refresh token (invalid_code): it was revoked, belongs to another data centre or "
            "environment, or is not a refresh token; create a new one from the Self Client (see README)"
        )
    if error.lower() == "access denied" or "too many requests" in str(payload.get("error_description", "")).lower():
        return (
            "Zoho throttled token refreshes (at most 10 per refresh token per 10 minutes): wait 10 minutes, and do "
            "not run several pipelines with the same refresh token at once"
        )
    return f"Zoho accounts server did not issue an access token ({error}): check credentials and accounts_url"
