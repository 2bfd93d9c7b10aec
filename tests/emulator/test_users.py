"""Get Users (zoho-crm-api.md §12)."""

from __future__ import annotations

from typing import Any


def test_users_list_shape(api: Any) -> None:
    r = api.get("/crm/v7/users", {"type": "AllUsers"})
    body = r.json()
    assert r.status_code == 200 and set(body["info"]) == {"per_page", "count", "page", "more_records"}
    u = body["users"][0]
    for key in (
        "id",
        "full_name",
        "first_name",
        "last_name",
        "email",
        "status",
        "role",
        "profile",
        "created_time",
        "Modified_Time",
        "time_zone",
        "confirm",
    ):
        assert key in u
    assert set(u["role"]) == {"name", "id"} and set(u["profile"]) == {"name", "id"}
    assert len(api.emu.users()) >= 5


def test_user_types_filter(api: Any) -> None:
    def names(kind: str) -> set[str]:
        r = api.get("/crm/v7/users", {"type": kind})
        return {u["full_name"] for u in r.json()["users"]} if r.status_code == 200 else set()

    active = names("ActiveUsers")
    assert active and all(u["status"] == "active" for u in api.emu.users() if u["full_name"] in active)
    assert names("CurrentUser") == {"Patricia Boyle"}
    assert names("DeactiveUsers") and not names("DeactiveUsers") & active
    assert names("AdminUsers") >= {"Patricia Boyle"}
    r = api.get("/crm/v7/users", {"type": "Everyone"})
    assert r.status_code == 400


def test_users_ids_paging_and_if_modified_since(api: Any) -> None:
    users = api.emu.users()
    r = api.get("/crm/v7/users", {"ids": users[1]["id"]})
    assert [u["id"] for u in r.json()["users"]] == [users[1]["id"]]
    p = api.get("/crm/v7/users", {"per_page": 2, "page": 1}).json()
    assert p["info"]["count"] == 2 and p["info"]["more_records"] is True
    r = api.get("/crm/v7/users", headers={"If-Modified-Since": "2099-01-01T00:00:00+00:00"})
    assert r.status_code == 304
    one = api.get(f"/crm/v7/users/{users[0]['id']}").json()["users"]
    assert one[0]["id"] == users[0]["id"]
