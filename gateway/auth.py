"""Users, passwords (argon2) and tokens (JWT, HS256 pinned, short expiry, a lifetime
ceiling, bound to this community's instance and to the user's current token version)."""
import re
import secrets
import time
from collections import OrderedDict

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from common import credentials
from common.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from common.schemas import PageQuery, RowAnswer
from common.vocab import ROLES
from common.messages import msg
from gateway.models import User

ALGORITHM = "HS256"
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps timing equal.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class LoginRequest(Schema):
    class Meta:
        unknown = RAISE

    username = fields.String(required=True, validate=validate.Length(1, 64))
    password = fields.String(required=True, validate=validate.Length(1, 256))


class LoginResponse(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    role = fields.String()


class UserCreate(Schema):
    class Meta:
        unknown = RAISE

    username = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_.\-]{3,64}$", error="username_format"))
    password = fields.String(required=True, validate=validate.Length(max=256), metadata={
        "description": f"at least {credentials.PASSWORD_MIN_LENGTH} characters mixing "
                       f"letters with digits or symbols, not containing the username"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = fields.String(load_default=None, validate=validate.Length(1, 64))
    volunteer_id = fields.Integer(load_default=None, validate=validate.Range(min=1))

    @validates_schema
    def _password_policy(self, data, **_):
        if "password" in data:
            weakness = credentials.password_weakness(data["password"], data.get("username"))
            if weakness:
                raise ValidationError({"password": [_policy_reason(weakness)]})


PASSWORD_RULE = (f"at least {credentials.PASSWORD_MIN_LENGTH} characters mixing letters with "
                 f"digits or symbols, not containing the username")


class PasswordChange(Schema):
    class Meta:
        unknown = RAISE

    current_password = fields.String(required=True, validate=validate.Length(1, 256))
    new_password = fields.String(required=True, validate=validate.Length(max=256),
                                 metadata={"description": PASSWORD_RULE})


class UserUpdate(Schema):
    """What an admin changes on a user: disable or enable it, reset its password. Both
    end the tokens the user holds."""
    class Meta:
        unknown = RAISE

    active = fields.Boolean()
    password = fields.String(validate=validate.Length(max=256),
                             metadata={"description": PASSWORD_RULE})

    @validates_schema
    def _not_empty(self, data, **_):
        if not data:
            raise ValidationError({"active": ["give_active_or_password"]})


class UserQuery(PageQuery):
    role = fields.String(validate=validate.OneOf(ROLES))


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    display_name = fields.String(allow_none=True)
    volunteer_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    community_id = fields.String()


USER_OUT = UserOut()


def user_answer(user, community_id):
    """A user as the API shows it: no password hash; the instance's community beside."""
    return USER_OUT.dump(RowAnswer(user, community_id=community_id))


def hash_password(password):
    return _hasher.hash(password)


def create_user(session, data):
    if session.execute(select(User).where(User.username == data["username"])).first():
        raise Conflict("user_exists", {"username": ["already_taken"]}, username=data['username'])
    if data["role"] == "volunteer" and not data.get("volunteer_id"):
        raise ValidationFailed("volunteer_user_needs_volunteer",
                               {"volunteer_id": ["required_for_role_volunteer"]})
    user = User(username=data["username"], password_hash=hash_password(data["password"]),
                role=data["role"], display_name=data.get("display_name"),
                volunteer_id=data.get("volunteer_id"))
    session.add(user)
    session.flush()
    return user


# An initial password a volunteer reads off a phone screen: no 0/O, 1/l/I look-alikes.
_INITIAL_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
INITIAL_PASSWORD_LENGTH = 14


def initial_password(username):
    """A random password under the policy, shown once at approval."""
    while True:
        password = "".join(secrets.choice(_INITIAL_ALPHABET)
                           for _ in range(INITIAL_PASSWORD_LENGTH))
        if not credentials.password_weakness(password, username):
            return password


def create_volunteer_login(session, volunteer_id, volunteer_number):
    """The login of an approved volunteer (username: the volunteer's number, lower
    case) with a one-time initial password: ``(user, password)``. If the volunteer has a
    login already (an approval retried after it was created), ``(user, None)``: the
    password was shown when it was made, and an admin resets it if it was lost."""
    existing = session.execute(select(User).where(
        User.volunteer_id == volunteer_id, User.role == "volunteer")).scalars().first()
    username = volunteer_number.lower()
    if existing is None:  # a concurrent approval of the same application made it
        existing = session.execute(select(User).where(
            User.username == username, User.volunteer_id == volunteer_id)).scalars().first()
    if existing is not None:
        return existing, None
    password = initial_password(username)
    user = create_user(session, {"username": username, "password": password,
                                 "role": "volunteer", "volunteer_id": volunteer_id,
                                 "display_name": None})
    return user, password


def users_listed(query):
    """The select of a users listing: by username, optionally of one role."""
    statement = select(User).order_by(User.username)
    if query.get("role"):
        statement = statement.where(User.role == query["role"])
    return statement


def ensure_admin(session, username, password):
    """Bootstrap the first admin from the environment; never overwrite an existing one."""
    if session.execute(select(User).where(User.username == username)).first():
        return False
    session.add(User(username=username, password_hash=hash_password(password), role="admin",
                     display_name="管理员"))
    return True


def authenticate(session, username, password):
    user = session.execute(select(User).where(User.username == username,
                                              User.active.is_(True))).scalar_one_or_none()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        raise Unauthorized("wrong_username_or_password")
    return user


# credentials.password_weakness's reasons (English, shared with the configuration check)
# → the catalogue's messages.
_WEAKNESS_KEYS = {
    "uses one kind of character only: mix letters with digits or symbols":
        "password_one_kind",
    "contains the username": "password_contains_username",
    "is a placeholder or a development default": "password_placeholder",
    "repeats one character": "password_repeats",
}


def _policy_reason(weakness):
    shorter = re.match(r"^is shorter than (\d+) characters$", weakness)
    if shorter:
        return msg("password_too_short", min=int(shorter.group(1)))
    key = _WEAKNESS_KEYS.get(weakness)
    return msg(key) if key else msg("weak_password", weakness=weakness)


def _check_policy(field, password, username):
    weakness = credentials.password_weakness(password, username)
    if weakness:
        reason = _policy_reason(weakness)
        raise ValidationFailed(reason, {field: [reason]})


def _end_tokens(user):
    """Every token issued to the user so far is refused from now on."""
    user.token_version = (user.token_version or 0) + 1


def change_own_password(session, uid, current, new):
    """The user's own change: the current password first; then every token issued
    before, this one included, is refused. Returns the user (for a fresh token)."""
    user = session.get(User, uid)
    if user is None or not user.active:
        raise Unauthorized("user_gone_or_disabled")
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise ValidationFailed("current_password_wrong",
                               {"current_password": ["wrong_password"]}) from None
    _check_policy("new_password", new, user.username)
    user.password_hash = hash_password(new)
    _end_tokens(user)
    session.flush()
    return user


def update_user(session, user_id, data, actor_uid):
    """An admin disables, enables or resets the password of a user; the user's tokens
    end. An admin does not disable itself (the instance could be left without one)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", {"user_id": user_id}, user_id=user_id)
    if data.get("active") is False and user.id == actor_uid:
        raise Conflict("admin_cannot_disable_self",
                       {"active": ["your_own_account"]})
    if "password" in data:
        _check_policy("password", data["password"], user.username)
        user.password_hash = hash_password(data["password"])
    if "active" in data:
        user.active = data["active"]
    _end_tokens(user)
    session.flush()
    return user


def issue_token(user, secret, community_id, ttl_seconds, now=None):
    now = int(now or time.time())
    claims = {"sub": user.username, "uid": user.id, "role": user.role,
              "community": community_id, "iat": now, "exp": now + int(ttl_seconds),
              "ver": user.token_version or 0}
    if user.volunteer_id:
        claims["volunteer_id"] = user.volunteer_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


class VerifiedTokens:
    """Tokens whose signature and claims were checked, with their claims, each until its
    ``exp``: a console sends the same token with every request, and checking it again
    (an HMAC and the claims' parsing) would give the same answer until it expires. At
    most ``size`` tokens, the least recently used forgotten first. Only what the token
    itself says is kept: whether its user may still act is asked on every request
    (``ActiveUsers.check``)."""

    def __init__(self, size=4096, clock=None):
        self.size = size
        self.clock = clock or (lambda: time.time())
        self.known = OrderedDict()  # (token, secret, community, max lifetime) -> claims

    def get(self, key):
        claims = self.known.get(key)
        if claims is None:
            return None
        if claims["exp"] <= self.clock():  # expired: PyJWT's rule, no leeway
            del self.known[key]
            return None
        self.known.move_to_end(key)
        return dict(claims)

    def put(self, key, claims):
        self.known[key] = dict(claims)
        self.known.move_to_end(key)
        while len(self.known) > self.size:
            self.known.popitem(last=False)


VERIFIED = VerifiedTokens()


def verify_token(token, secret, community_id, max_lifetime):
    """Claims of a valid token of this community living at most ``max_lifetime``
    seconds, else Unauthorized. Whether its user may still use it is ``ActiveUsers``'.
    A token once found valid is not checked again until it expires (``VERIFIED``): of
    the checks below only ``exp`` can turn a pass into a refusal as time goes by, and the
    cache applies it on every hit."""
    key = (token, secret, community_id, max_lifetime)
    claims = VERIFIED.get(key)
    if claims is not None:
        return claims
    claims = _verified_claims(token, secret, community_id, max_lifetime)
    VERIFIED.put(key, claims)
    return claims


def _verified_claims(token, secret, community_id, max_lifetime):
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM],
                            options={"require": ["exp", "iat", "sub", "uid", "role",
                                                 "community"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token_expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("invalid_token") from None
    if claims["community"] != community_id:
        raise Unauthorized("token_other_community")
    if claims["role"] not in ROLES:
        raise Unauthorized("invalid_token")
    if claims["exp"] - claims["iat"] > max_lifetime or claims["exp"] - time.time() > max_lifetime:
        # Signed with our key, yet longer-lived than any token the gateway issues.
        raise Unauthorized("token_lifetime_too_long")
    return claims


class ActiveUsers:
    """Whether a token's user may still act: it exists, is active, and its token version
    is the token's (a password change or a disabling raises it). The gateway's own
    users table answers; what it said is kept ``ttl`` seconds so that a busy console
    does not read it on every request. Changes made through this process forget the
    user at once; a change made elsewhere (SQL by hand) shows within ``ttl``."""

    def __init__(self, store, ttl, clock=time.monotonic):
        self.store = store
        self.ttl = float(ttl)
        self.clock = clock
        self.known = {}  # uid -> (active, token_version, role, username, read at)
        # Counts forget() calls: a read that a change overtook (the database answered,
        # then the change committed and forgot the user) is not kept.
        self.changes = 0

    def _read(self, uid):
        now = self.clock()
        cached = self.known.get(uid)
        if cached is not None and now - cached[-1] < self.ttl:
            return cached
        changes = self.changes
        with self.store.session() as session:
            row = session.execute(select(User.active, User.token_version, User.role,
                                         User.username).where(User.id == uid)).first()
        state = (bool(row.active), row.token_version or 0, row.role, row.username, now) \
            if row else (False, None, None, None, now)
        if self.ttl > 0 and changes == self.changes:
            if len(self.known) > 10_000:
                self.known.clear()
            self.known[uid] = state
        return state

    def check(self, claims):
        active, version, role, username, _ = self._read(int(claims["uid"]))
        # A database may give a deleted user's id to the next user created: the token
        # names its user too.
        if version is None or username != claims["sub"]:
            raise Unauthorized("user_no_longer_exists")
        if not active:
            raise Unauthorized("user_disabled")
        if claims.get("ver", 0) != version or claims["role"] != role:
            raise Unauthorized("token_revoked")

    def forget(self, uid):
        """Called after a change to the user committed."""
        self.changes += 1
        self.known.pop(uid, None)


def bearer_token(request):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
