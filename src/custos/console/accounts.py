"""Console accounts and sessions, to ASVS 4.0 level 2 (V2 authentication, V3 sessions).

* Passwords: at least 12 and at most 128 characters, stored as scrypt hashes with a
  per-user salt (V2.1.1, V2.1.2, V2.4.1); a wrong password and an unknown account
  get the same answer and take the same work (V2.2.1, V3.x enumeration).
* Five failed sign-ins lock the account for 15 minutes (V2.2.1).
* Session tokens: 256 random bits, sent only as an HttpOnly, SameSite=Strict cookie,
  stored only as a SHA-256 digest, replaced at every sign-in (V3.2.1-V3.2.3); sessions
  end after 15 minutes idle or 8 hours in all, and at sign-out (V3.3.1, V3.3.2).
* Every sign-in, failed sign-in, sign-out and account change is a ledger event (R47).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from custos.console.roles import Role
from custos.console.tables import console_session, console_user
from custos.errors import PolicyError
from custos.ledger.events import Actor, ActorKind, AuditEvent, Authorization, Channel, EventType, Outcome
from custos.ledger.models import format_timestamp, parse_timestamp
from custos.ledger.service import Ledger
from custos.policy.store import POLICY_VERSION

MIN_PASSWORD = 12
MAX_PASSWORD = 128
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
IDLE_TIMEOUT = dt.timedelta(minutes=15)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=8)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_UNKNOWN_USER_HASH = "scrypt$" + base64.b64encode(b"\0" * 16).decode() + "$" + "0" * 64


class SignInRefused(PolicyError):
    """Wrong account, wrong password, locked or disabled: one message for all (no enumeration)."""


@dataclass(frozen=True, slots=True)
class User:
    """A signed-in operator: who, under what name, in which roles."""

    user_id: str
    display_name: str
    roles: frozenset[Role]

    @property
    def actor(self) -> Actor:
        """The ledger's view of this operator."""
        return Actor(ActorKind.AUDITOR if self.roles == {Role.AUDITOR} else ActorKind.OPERATOR, self.user_id)

    def may(self, *roles: Role) -> bool:
        """Whether the user holds any of ``roles``."""
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True, slots=True)
class Session:
    """An open session: its user and the token forms must echo (CSRF, V4.2.2)."""

    user: User
    csrf_token: str
    token_hash: str


def hash_password(password: str) -> str:
    """An scrypt hash with its salt, as ``scrypt$<salt>$<hex>``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT, dklen=32)
    return f"scrypt${base64.b64encode(salt).decode()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    """Constant-time comparison of a password with a stored hash."""
    _, salt, expected = stored.split("$")
    digest = hashlib.scrypt(password.encode()[:1024], salt=base64.b64decode(salt), **_SCRYPT, dklen=32)
    return hmac.compare_digest(digest.hex(), expected)


def check_password_rules(password: str) -> None:
    """Length rules only, as ASVS V2.1 asks (no composition rules)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise PolicyError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")


def create_user(
    ledger: Ledger, user_id: str, display_name: str, *, roles: frozenset[Role], password: str, by: Actor
) -> None:
    """Create an account (an administrator's command, in the ledger)."""
    check_password_rules(password)
    if not roles:
        raise PolicyError("an account needs at least one role")
    if not user_id or len(user_id) > 64 or not user_id.replace("-", "").replace(".", "").isalnum():
        raise PolicyError("an account id has 1 to 64 letters, digits, '-' or '.'")
    with ledger.transaction() as tx:
        exists = tx.connection.execute(
            select(console_user.c.user_id).where(console_user.c.user_id == user_id)
        ).first()
        if exists:
            raise PolicyError(f"account {user_id} already exists")
        tx.connection.execute(
            insert(console_user).values(
                user_id=user_id, display_name=display_name, roles=";".join(sorted(roles)),
                password_hash=hash_password(password), failed_logins=0,
                created_at=format_timestamp(ledger.clock.now()), created_by=by.id,
            )
        )  # fmt: skip
        tx.append(
            AuditEvent(
                EventType.ADMIN_ACTION, by, "account.create", Outcome.SUCCESS,
                authz=Authorization(POLICY_VERSION, "R47", "allow"),
                details={"account": user_id, "roles": ";".join(sorted(roles))},
            )
        )  # fmt: skip


def sign_in(ledger: Ledger, user_id: str, password: str, source_ip: str | None) -> tuple[str, Session]:
    """Check a password and open a session; returns the cookie token and the session.

    Every attempt is in the ledger, successful or not, before the answer is given.
    """
    now = ledger.clock.now()
    channel = Channel(source_ip=source_ip, service_instance="console")
    with ledger.transaction() as tx:
        row = tx.connection.execute(select(console_user).where(console_user.c.user_id == user_id)).first()
        good = password_matches(password, row.password_hash if row else _UNKNOWN_USER_HASH)
        locked = row is not None and row.locked_until is not None and format_timestamp(now) < row.locked_until
        usable = row is not None and row.disabled_at is None and not locked
        if not (good and usable):
            why = (
                "unknown_account" if row is None else "locked" if locked
                else "disabled" if row.disabled_at else "bad_password"
            )  # fmt: skip
            if row is not None and not good:
                failures = row.failed_logins + 1
                tx.connection.execute(
                    update(console_user)
                    .where(console_user.c.user_id == user_id)
                    .values(failed_logins=failures, locked_until=format_timestamp(now + LOCKOUT)
                            if failures >= MAX_FAILURES else None)
                )  # fmt: skip
            tx.append(
                AuditEvent(
                    EventType.AUTH_LOGIN, Actor(ActorKind.OPERATOR, user_id[:64] or "-"), "sign_in",
                    Outcome.FAILURE, channel=channel, reason_code=why.upper(),
                    authz=Authorization(POLICY_VERSION, "R47", "deny"),
                )
            )  # fmt: skip
    if not (good and usable):
        raise SignInRefused("the account or password is wrong, or the account is locked")
    assert row is not None  # noqa: S101 - usable implies a row
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    user = User(row.user_id, row.display_name, _roles(row.roles))
    with ledger.transaction() as tx:
        tx.connection.execute(
            update(console_user)
            .where(console_user.c.user_id == user_id)
            .values(failed_logins=0, locked_until=None)
        )
        tx.connection.execute(
            insert(console_session).values(
                token_hash=_digest(token), user_id=user_id, csrf_token=csrf, created_at=format_timestamp(now),
                last_seen_at=format_timestamp(now), source_ip=source_ip,
            )
        )  # fmt: skip
        tx.append(
            AuditEvent(
                EventType.AUTH_LOGIN, user.actor, "sign_in", Outcome.SUCCESS, channel=channel,
                authz=Authorization(POLICY_VERSION, "R47", "allow"),
                details={"roles": ";".join(sorted(user.roles))},
            )
        )  # fmt: skip
    return token, Session(user, csrf, _digest(token))


def open_session(ledger: Ledger, connection: Connection, token: str) -> Session | None:
    """The live session of a cookie token, or None when it is unknown, ended or timed out."""
    row = connection.execute(
        select(console_session, console_user)
        .join(console_user, console_user.c.user_id == console_session.c.user_id)
        .where(console_session.c.token_hash == _digest(token))
    ).first()
    if row is None or row.ended_at is not None or row.disabled_at is not None:
        return None
    now = ledger.clock.now()
    if (
        now - parse_timestamp(row.last_seen_at) > IDLE_TIMEOUT
        or now - parse_timestamp(row.created_at) > ABSOLUTE_TIMEOUT
    ):
        return None
    return Session(User(row.user_id, row.display_name, _roles(row.roles)), row.csrf_token, row.token_hash)


def touch(ledger: Ledger, session: Session) -> None:
    """Move the idle deadline on (at most once a minute, so reading pages writes little)."""
    now = ledger.clock.now()
    cutoff = format_timestamp(now - dt.timedelta(minutes=1))
    with ledger.database.write() as connection:
        connection.execute(
            update(console_session)
            .where(
                console_session.c.token_hash == session.token_hash, console_session.c.last_seen_at < cutoff
            )
            .values(last_seen_at=format_timestamp(now))
        )


def sign_out(ledger: Ledger, session: Session, source_ip: str | None) -> None:
    """End the session server-side; the token is useless afterwards."""
    with ledger.transaction() as tx:
        tx.connection.execute(
            update(console_session)
            .where(console_session.c.token_hash == session.token_hash)
            .values(ended_at=format_timestamp(ledger.clock.now()))
        )
        tx.append(
            AuditEvent(
                EventType.AUTH_LOGOUT, session.user.actor, "sign_out", Outcome.SUCCESS,
                channel=Channel(source_ip=source_ip, service_instance="console"),
                authz=Authorization(POLICY_VERSION, "R47", "allow"),
            )
        )  # fmt: skip


def _roles(text: str) -> frozenset[Role]:
    return frozenset(Role(part) for part in text.split(";") if part)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
