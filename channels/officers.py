"""Officer accounts for the console: ``python -m channels.officers create|passwd|list|disable|enable``.

    python -m channels.officers create wang --name 王小明     # asks for the password twice (TTY)
    printf '%s\\n' "$PW" | python -m channels.officers create wang --name 王小明 --password-stdin
    python -m channels.officers passwd wang
    python -m channels.officers list
    python -m channels.officers disable wang                  # ends every login; no new one
    python -m channels.officers enable wang
    python -m channels.officers supervisor wang          # may see the dashboard, review drafts
    python -m channels.officers supervisor wang --off

The database is ``HANDOFF_DATABASE_URL`` (default: the embedded SQLite file under var/), the same
one the gateway uses. Passwords are stored as argon2id hashes only (argon2-cffi defaults).
When stdin is not a terminal the password is read from its first line, as with ``--password-stdin``.
"""
from __future__ import annotations

import argparse
import getpass
import re
import sys
from typing import Sequence, TextIO

from .console import labels
from .core.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hash_password
from .core.store import Store, open_store
from .settings import Settings

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,59}$")
MAX_NAME_LENGTH = 60


class CliError(Exception):
    pass


def password_problem(password: str) -> str | None:
    """Why a password is unacceptable (zh-TW and English), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return labels.CLI_PASSWORD_SHORT.format(limit=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return labels.CLI_PASSWORD_LONG.format(limit=MAX_PASSWORD_LENGTH)
    if password.strip() != password:
        return labels.CLI_PASSWORD_SPACES
    return None


def _read_password(use_stdin: bool, stdin: TextIO, confirm: bool = True) -> str:
    if use_stdin or not stdin.isatty():
        line = stdin.readline()
        if not line:
            raise CliError(labels.CLI_NO_PASSWORD)
        return line.rstrip("\r\n")
    first = getpass.getpass(labels.CLI_PASSWORD_PROMPT)
    if confirm:
        second = getpass.getpass(labels.CLI_REPEAT_PROMPT)
        if first != second:
            raise CliError(labels.CLI_MISMATCH)
    return first


def _store() -> Store:
    return open_store(Settings.from_env().database_url)


def cmd_create(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    username = args.username.strip()
    if not USERNAME_RE.match(username):
        raise CliError(labels.CLI_BAD_USERNAME)
    name = (args.name or username).strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise CliError(labels.CLI_BAD_NAME.format(limit=MAX_NAME_LENGTH))
    store = _store()
    try:
        if any(o.username == username for o in store.officers()):
            raise CliError(labels.CLI_EXISTS_USE_PASSWD.format(username=username))
        password = _read_password(args.password_stdin, stdin)
        problem = password_problem(password)
        if problem:
            raise CliError(problem)
        from sqlalchemy.exc import IntegrityError
        try:
            officer = store.create_officer(username, name, hash_password(password))
        except IntegrityError:
            raise CliError(labels.CLI_EXISTS.format(username=username)) from None
    finally:
        store.dispose()
    print(labels.CLI_CREATED.format(username=officer.username, name=officer.display_name, id=officer.id), file=out)
    return 0


def cmd_passwd(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    store = _store()
    try:
        if not any(o.username == args.username for o in store.officers()):
            raise CliError(labels.CLI_NO_SUCH.format(username=args.username))
        password = _read_password(args.password_stdin, stdin)
        problem = password_problem(password)
        if problem:
            raise CliError(problem)
        if not store.set_officer_password(args.username, hash_password(password)):
            raise CliError(labels.CLI_NO_SUCH.format(username=args.username))
    finally:
        store.dispose()
    print(labels.CLI_PASSWORD_CHANGED.format(username=args.username), file=out)
    return 0


def cmd_active(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    active = args.command == "enable"
    store = _store()
    try:
        if not store.set_officer_active(args.username, active):
            raise CliError(labels.CLI_NO_SUCH.format(username=args.username))
    finally:
        store.dispose()
    print((labels.CLI_ENABLED if active else labels.CLI_DISABLED).format(username=args.username), file=out)
    return 0


def cmd_list(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    store = _store()
    try:
        officers = store.officers()
    finally:
        store.dispose()
    if not officers:
        print(labels.CLI_NONE_YET, file=out)
        return 0
    print(f"{'id':>4}  {'username':<20} {labels.CLI_NAME_COLUMN}", file=out)
    for o in officers:
        role = f"  ({labels.CLI_SUPERVISOR_COLUMN})" if o.supervisor else ""
        print(f"{o.id:>4}  {o.username:<20} {o.display_name}{role}", file=out)
    return 0


def cmd_supervisor(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    store = _store()
    try:
        if not store.set_supervisor(args.username, not args.off):
            raise CliError(labels.CLI_NO_SUCH.format(username=args.username))
    finally:
        store.dispose()
    print((labels.CLI_SUPERVISOR_OFF if args.off else labels.CLI_SUPERVISOR_ON).format(username=args.username),
          file=out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m channels.officers",
                                description=labels.CLI_DESCRIPTION)
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create", help=labels.CLI_HELP_CREATE)
    c.add_argument("username")
    c.add_argument("--name", help=labels.CLI_HELP_NAME)
    c.add_argument("--password-stdin", action="store_true", help=labels.CLI_HELP_STDIN)
    c.set_defaults(func=cmd_create)
    pw = sub.add_parser("passwd", help=labels.CLI_HELP_PASSWD)
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true", help=labels.CLI_HELP_STDIN)
    pw.set_defaults(func=cmd_passwd)
    for name, help_text in (("disable", labels.CLI_HELP_DISABLE), ("enable", labels.CLI_HELP_ENABLE)):
        a = sub.add_parser(name, help=help_text)
        a.add_argument("username")
        a.set_defaults(func=cmd_active)
    ls = sub.add_parser("list", help=labels.CLI_HELP_LIST)
    ls.set_defaults(func=cmd_list)
    sv = sub.add_parser("supervisor", help=labels.CLI_HELP_SUPERVISOR)
    sv.add_argument("username")
    sv.add_argument("--off", action="store_true", help=labels.CLI_HELP_OFF)
    sv.set_defaults(func=cmd_supervisor)
    return p


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    stdin, out, err = stdin or sys.stdin, out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        return args.func(args, stdin, out)
    except CliError as exc:
        print(labels.CLI_ERROR.format(error=exc), file=err)
        return 1
    except KeyboardInterrupt:
        print(labels.CLI_CANCELLED, file=err)
        return 130
    except Exception as exc:  # e.g. the database is unreachable
        print(labels.CLI_ERROR.format(error=f"{type(exc).__name__}: {exc}"), file=err)
        return 1


if __name__ == "__main__":
    sys.exit(main())
