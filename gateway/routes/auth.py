"""auth: login, me, own password, users."""
import math

from common.db import paginate
from common.errors import NotFound, RateLimited, Unauthorized
from gateway import audit, auth
from gateway.models import User
from gateway.routing import ADMIN, AUTHENTICATED, PUBLIC, route

LOGIN_OUT = auth.LoginResponse()


def _token_answer(ctx, user):
    ttl = int(ctx.config["JWT_TTL_SECONDS"])
    token = auth.issue_token(user, ctx.config["JWT_SECRET"], ctx.community_id, ttl)
    return LOGIN_OUT.dump({"access_token": token, "token_type": "Bearer", "expires_in": ttl,
                           "role": user.role})


@route("POST", "/auth/login", PUBLIC, body=auth.LoginRequest, response=auth.LoginResponse,
       rate_limited=True, tag="auth",
       answers={"401": "Wrong username or password (or the account is disabled)"},
       summary="Log in; returns a bearer token (429 with Retry-After after repeated "
               "failures for this account from this client)")
def login(ctx):
    username, throttle = ctx.body["username"], ctx.service.login_throttle
    wait = throttle.wait(username, ctx.client)
    if wait > 0:
        seconds = math.ceil(wait)
        raise RateLimited("too_many_failed_logins",
                          {"retry_after_seconds": seconds}, seconds=seconds)
    with ctx.session() as session:
        try:
            user = auth.authenticate(session, username, ctx.body["password"])
        except Unauthorized:
            throttle.failed(username, ctx.client)
            raise
        throttle.succeeded(username, ctx.client)
        return _token_answer(ctx, user)


@route("GET", "/me", AUTHENTICATED, response=auth.UserOut, tag="auth",
       summary="The logged-in user")
def me(ctx):
    with ctx.session() as session:
        user = session.get(User, ctx.user["uid"])
        if user is None:
            raise NotFound("user_no_longer_exists")
        return auth.user_answer(user, ctx.community_id)


@route("POST", "/me/password", AUTHENTICATED, body=auth.PasswordChange,
       response=auth.LoginResponse, tag="auth",
       summary="Change one's own password; every token issued before is refused, a new "
               "one is returned")
def change_password(ctx):
    with ctx.session() as session:
        user = auth.change_own_password(session, ctx.user["uid"],
                                        ctx.body["current_password"], ctx.body["new_password"])
    # After the commit: a request in between must not cache the old version again.
    ctx.service.active_users.forget(user.id)
    return _token_answer(ctx, user)


@route("GET", "/users", ADMIN, query=auth.UserQuery, response=auth.UserOut, many=True,
       tag="auth", summary="Users (admin), by username; filter by role")
def list_users(ctx):
    with ctx.session() as session:
        return paginate(session, auth.users_listed(ctx.query), ctx.query["page"],
                        ctx.query["per_page"],
                        render=lambda user: auth.user_answer(user, ctx.community_id))


@route("POST", "/users", ADMIN, body=auth.UserCreate, response=auth.UserOut, status=201,
       tag="auth", summary="Create a user (admin)")
def create_user(ctx):
    data = auth.UserCreate().load(ctx.body)
    if data.get("volunteer_id"):
        ctx.rpc("volunteers", "get_volunteer", data["volunteer_id"])  # 404 if unknown
    with ctx.session() as session:
        user = auth.create_user(session, data)
        answer = auth.user_answer(user, ctx.community_id)
    # A database may reuse a deleted user's id: what was cached of that one goes.
    ctx.service.active_users.forget(user.id)
    ctx.audit("create_user", f"user:{answer['id']}")
    return answer


@route("PATCH", "/users/<int:user_id>", ADMIN, body=auth.UserUpdate, response=auth.UserOut,
       tag="auth", summary="Disable or enable a user, or reset its password (admin); the "
                           "user's tokens are refused from then on")
def update_user(ctx, user_id):
    data = auth.UserUpdate().load(ctx.body)
    with ctx.session() as session:
        user = auth.update_user(session, user_id, data, ctx.user["uid"])
        answer = auth.user_answer(user, ctx.community_id)
    ctx.service.active_users.forget(user_id)  # after the commit, as above
    for action in audit.user_changes(data):
        ctx.audit(action, f"user:{user_id}")
    return answer
