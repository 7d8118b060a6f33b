"""Users, passwords (argon2) and tokens (JWT, HS256 pinned, short expiry, bound to this
community's instance)."""
import time

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from common import credentials
from common.errors import Conflict, Unauthorized
from common.schemas import RowAnswer
from common.vocab import ROLES
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
        r"^[A-Za-z0-9_.\-]{3,64}$", error="3-64 letters, digits, _ . -"))
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
                raise ValidationError({"password": [f"the password {weakness}"]})


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    display_name = fields.String(allow_none=True)
    volunteer_id = fields.Integer(allow_none=True)
    community_id = fields.String()


USER_OUT = UserOut()


def user_answer(user, community_id):
    """A user as the API shows it: no password hash; the instance's community beside."""
    return USER_OUT.dump(RowAnswer(user, community_id=community_id))


def hash_password(password):
    return _hasher.hash(password)


def create_user(session, data):
    if session.execute(select(User).where(User.username == data["username"])).first():
        raise Conflict(f"user {data['username']} exists", {"username": ["already taken"]})
    if data["role"] == "volunteer" and not data.get("volunteer_id"):
        from common.errors import ValidationFailed

        raise ValidationFailed("a volunteer user must be linked to a volunteer",
                               {"volunteer_id": ["required for role volunteer"]})
    user = User(username=data["username"], password_hash=hash_password(data["password"]),
                role=data["role"], display_name=data.get("display_name"),
                volunteer_id=data.get("volunteer_id"))
    session.add(user)
    session.flush()
    return user


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
        raise Unauthorized("wrong username or password")
    return user


def issue_token(user, secret, community_id, ttl_seconds, now=None):
    now = int(now or time.time())
    claims = {"sub": user.username, "uid": user.id, "role": user.role,
              "community": community_id, "iat": now, "exp": now + int(ttl_seconds)}
    if user.volunteer_id:
        claims["volunteer_id"] = user.volunteer_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token, secret, community_id):
    """Claims of a valid token of this community, else Unauthorized."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM],
                            options={"require": ["exp", "iat", "sub", "role", "community"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("invalid token") from None
    if claims["community"] != community_id:
        raise Unauthorized("token issued by another community's instance")
    if claims["role"] not in ROLES:
        raise Unauthorized("invalid token")
    return claims


def bearer_token(request):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
