"""auth: login, me, users."""
from common.errors import NotFound
from gateway import auth
from gateway.models import User
from gateway.routing import ADMIN, AUTHENTICATED, PUBLIC, route


@route("POST", "/auth/login", PUBLIC, body=auth.LoginRequest, response=auth.LoginResponse,
       rate_limited=True, tag="auth", summary="Log in; returns a bearer token")
def login(ctx):
    config = ctx.config
    with ctx.session() as session:
        user = auth.authenticate(session, ctx.body["username"], ctx.body["password"])
        ttl = int(config["JWT_TTL_SECONDS"])
        token = auth.issue_token(user, config["JWT_SECRET"], config["COMMUNITY_ID"], ttl)
        return {"access_token": token, "token_type": "Bearer", "expires_in": ttl,
                "role": user.role}


@route("GET", "/me", AUTHENTICATED, response=auth.UserOut, tag="auth",
       summary="The logged-in user")
def me(ctx):
    with ctx.session() as session:
        user = session.get(User, ctx.user["uid"])
        if user is None:
            raise NotFound("user no longer exists")
        return auth.user_answer(user, ctx.community_id)


@route("POST", "/users", ADMIN, body=auth.UserCreate, response=auth.UserOut, status=201,
       tag="auth", summary="Create a user (admin)")
def create_user(ctx):
    data = auth.UserCreate().load(ctx.body)
    if data.get("volunteer_id"):
        ctx.rpc("volunteers", "get_volunteer", data["volunteer_id"])  # 404 if unknown
    with ctx.session() as session:
        user = auth.create_user(session, data)
        return auth.user_answer(user, ctx.community_id)
