"""Officer accounts and their login sessions (only a hash of a session token is stored)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from .schema import Officer, OfficerSession, aware, utcnow


@dataclass(frozen=True)
class OfficerView:
    id: int
    username: str
    display_name: str
    supervisor: bool = False     # sees the dashboard, reviews knowledge drafts


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OfficerStore:
    """The officer accounts and sessions part of ``Store``."""
    _sessions: sessionmaker[Session]

    def create_officer(self, username: str, display_name: str, password_hash: str) -> OfficerView:
        with self._sessions.begin() as s:
            o = Officer(username=username, display_name=display_name, password_hash=password_hash)
            s.add(o)
            s.flush()
            return OfficerView(o.id, o.username, o.display_name)

    def set_officer_password(self, username: str, password_hash: str) -> bool:
        """New password; every open login of that officer ends."""
        with self._sessions.begin() as s:
            res = s.execute(update(Officer).where(Officer.username == username).values(password_hash=password_hash))
            if res.rowcount != 1:
                return False
            officer_id = s.scalar(select(Officer.id).where(Officer.username == username))
            s.execute(delete(OfficerSession).where(OfficerSession.officer_id == officer_id))
            return True

    def set_officer_active(self, username: str, active: bool) -> bool:
        """Disable (every open login ends, no new one) or enable an officer; False if unknown."""
        with self._sessions.begin() as s:
            res = s.execute(update(Officer).where(Officer.username == username).values(active=active))
            if res.rowcount != 1:
                return False
            if not active:
                officer_id = s.scalar(select(Officer.id).where(Officer.username == username))
                s.execute(delete(OfficerSession).where(OfficerSession.officer_id == officer_id))
            return True

    def officer_active(self, username: str) -> bool | None:
        with self._sessions() as s:
            return s.scalar(select(Officer.active).where(Officer.username == username))

    def officer_credentials(self, username: str) -> tuple[OfficerView, str] | None:
        with self._sessions() as s:
            o = s.scalars(select(Officer).where(Officer.username == username, Officer.active.is_(True))).first()
            return (OfficerView(o.id, o.username, o.display_name, bool(o.supervisor)), o.password_hash) if o else None

    def officers(self) -> list[OfficerView]:
        with self._sessions() as s:
            return [OfficerView(o.id, o.username, o.display_name, bool(o.supervisor))
                    for o in s.scalars(select(Officer).order_by(Officer.id))]

    def create_session(self, officer_id: int, ttl: timedelta) -> tuple[str, str]:
        """A new login session: (session token for the cookie, CSRF token). Only a hash is stored."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._sessions.begin() as s:
            s.add(OfficerSession(token_hash=_hash_token(token), officer_id=officer_id, csrf_token=csrf,
                                 expires_at=utcnow() + ttl))
        return token, csrf

    def session_officer(self, token: str) -> tuple[OfficerView, str] | None:
        """(officer, csrf token) for a live session token, else None."""
        if not token:
            return None
        with self._sessions() as s:
            row = s.execute(select(OfficerSession, Officer).join(Officer, Officer.id == OfficerSession.officer_id)
                            .where(OfficerSession.token_hash == _hash_token(token))).first()
            if row is None:
                return None
            sess, o = row
            if aware(sess.expires_at) <= utcnow() or not o.active:
                return None
            return OfficerView(o.id, o.username, o.display_name, bool(o.supervisor)), sess.csrf_token

    def delete_session(self, token: str) -> None:
        with self._sessions.begin() as s:
            sess = s.get(OfficerSession, _hash_token(token))
            if sess is not None:
                s.delete(sess)
