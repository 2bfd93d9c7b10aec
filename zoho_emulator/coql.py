"""COQL (`POST /crm/v7/coql`, zoho-crm-api.md §6): the record count query only.

The emulator answers `select COUNT(field) [as alias] from Module where field is not null [limit n]`, which is what
the pipeline asks to size a module before its first load, and the same count `where Modified_Time > '<ISO-8601>'`
(or `>=`), which its `--plan` asks to count what changed since a cursor. Other queries are valid COQL the emulator
does not evaluate: it answers them with `400 INVALID_QUERY` naming that, never with made-up rows.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from .errors import ZohoError
from .http_types import Request, Response, parse_iso
from .oauth import module_scopes, require_scope

if TYPE_CHECKING:
    from .store import OrgStore

SCOPES = ("ZohoCRM.coql.READ", "ZohoCRM.coql.ALL")
COUNT_QUERY = re.compile(
    r"^\s*select\s+count\(\s*(?P<field>\w+)\s*\)(?:\s+as\s+(?P<alias>\w+))?\s+from\s+(?P<module>\w+)"
    r"\s+where\s+(?:(?P<where>\w+)\s+is\s+not\s+null|Modified_Time\s*(?P<op>>=|>)\s*'(?P<since>[^']+)')"
    r"(?:\s+limit\s+\d+(?:\s*,\s*\d+)?)?\s*;?\s*$",
    re.IGNORECASE,
)
HAS_WHERE = re.compile(r"\bwhere\b", re.IGNORECASE)


class CoqlApi:
    """The COQL endpoint over the emulator's store."""

    def __init__(self, store: OrgStore) -> None:
        self.store = store

    def query(self, req: Request) -> Response:
        """POST /coql → 200 `{"data": [{"COUNT(id)": n}], "info": {…}}`."""
        require_scope(req.token.scopes if req.token else (), *SCOPES)
        try:
            body = json.loads(req.body or b"{}")
        except ValueError:
            raise ZohoError(400, "INVALID_DATA", "the request body is not valid JSON") from None
        text = body.get("select_query") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise ZohoError(400, "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "select_query"})
        if not HAS_WHERE.search(text):
            raise ZohoError(400, "SYNTAX_ERROR", "error occured while parsing the query",
                            {"clause": "where", "near": "", "line": 1, "column": len(text)})
        match = COUNT_QUERY.match(text)
        if match is None:
            raise ZohoError(400, "INVALID_QUERY", "the emulator evaluates only: select COUNT(field) from Module "
                                                  "where field is not null")
        mdef = self.store.mdefs.get(match["module"])
        if mdef is None or not mdef.api_supported or mdef.kind not in ("data", "tracker"):
            raise ZohoError(400, "INVALID_QUERY", "invalid module given", {"module": match["module"]})
        require_scope(req.token.scopes if req.token else (), *module_scopes(mdef.scope))
        with_converted = self.store.config.coql_counts_converted
        since = self._since(match["since"]) if match["since"] else None
        inclusive = match["op"] == ">="

        def changed(modified: float) -> bool:
            return since is None or modified > since or (inclusive and modified == since)

        count = sum(
            1
            for st in self.store.live(mdef.api_name)
            if (with_converted or st.converted is None) and changed(st.modified)
        )
        key = match["alias"] or f"COUNT({match['field']})"
        return 200, {"data": [{key: count}], "info": {"count": 1, "more_records": False}}, {}

    @staticmethod
    def _since(value: str) -> float:
        """A COQL datetime literal: ISO-8601 with its offset (`2019-11-19T07:30:00+05:30`), else 400."""
        try:
            parsed = parse_iso(value)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise ZohoError(400, "INVALID_QUERY", "invalid datetime value", {"value": value})
        return parsed.timestamp()
