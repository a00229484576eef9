"""Handlers for the server, login and the current user's API tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from mock_server.apis.semaphore_ui._registry import HANDLERS, current_user, empty_error
from mock_server.apis.semaphore_ui.model import (
    new_session_cookie,
    new_token_id,
    token_json,
    user_json,
)
from mock_server.handlers import Reply, RequestContext

VERSION = "2.10.33"
ANSIBLE = "ansible [core 2.17.5]"
COOKIE = "semaphore"


@HANDLERS.handles("ping")
def ping(ctx: RequestContext) -> Reply:
    return Reply.text("pong")


@HANDLERS.handles("getInfo")
def get_info(ctx: RequestContext) -> Reply:
    current_user(ctx)
    return Reply.json({"version": VERSION, "ansible": ANSIBLE, "web_host": "", "use_remote_runner": False})


@HANDLERS.handles("getLoginMetadata")
def get_login_metadata(ctx: RequestContext) -> Reply:
    return Reply.json({"oidc_providers": [], "login_with_password": True})


@HANDLERS.handles("login")
def login(ctx: RequestContext) -> Reply:
    body = ctx.body or {}
    auth, password = str(body.get("auth") or "").strip().lower(), str(body.get("password") or "")
    user = next((u for u in ctx.store.all("users") if auth and auth in (u["username"].lower(), u["email"].lower())),
                None)
    if user is None or user["password"] != password:
        raise empty_error(401)
    session_id = max((s["session_id"] for s in ctx.store.all("sessions")), default=0) + 1
    cookie = new_session_cookie(user["id"], session_id, ctx.now)
    ctx.store.put("sessions", {"id": cookie, "session_id": session_id, "user_id": user["id"], "created": ctx.now,
                               "last_active": ctx.now, "expired": False})
    return Reply(status=204, media_type=None, headers={"Set-Cookie": f"{COOKIE}={cookie}; Path=/; HttpOnly"})


@HANDLERS.handles("logout")
def logout(ctx: RequestContext) -> Reply:
    expires = format_datetime(datetime.fromtimestamp(ctx.now - 7 * 86400, tz=UTC), usegmt=True)
    return Reply(status=204, media_type=None, headers={"Set-Cookie": f"{COOKIE}=; Path=/; Expires={expires}"})


@HANDLERS.handles("getUser")
def get_user(ctx: RequestContext) -> Reply:
    user = current_user(ctx)
    return Reply.json({**user_json(user), "can_create_project": user["admin"]})


@HANDLERS.handles("listApiTokens")
def list_api_tokens(ctx: RequestContext) -> Reply:
    user = current_user(ctx)
    tokens = sorted((t for t in ctx.store.all("tokens") if t["user_id"] == user["id"]),
                    key=lambda t: t["created"] or 0.0)  # stable: same instant, insertion order
    return Reply.json([token_json(t, user["id"], ctx.now) for t in tokens])


@HANDLERS.handles("createApiToken")
def create_api_token(ctx: RequestContext) -> Reply:
    user = current_user(ctx)
    name = str((ctx.body or {}).get("name") or "")
    token = ctx.store.put("tokens", {"id": new_token_id(), "user_id": user["id"], "created": ctx.now,
                                     "expired": False, "name": name})
    return Reply.json(token_json(token, user["id"], ctx.now), status=201)


@HANDLERS.handles("expireApiToken")
def expire_api_token(ctx: RequestContext) -> Reply:
    user = current_user(ctx)
    token = ctx.store.find("tokens", ctx.path["api_token_id"])
    if token is None or token["user_id"] != user["id"]:
        raise empty_error(404)
    token["expired"] = True
    return Reply.no_content()
