"""Officer accounts for the console: ``python -m channels.officers create|passwd|list``.

    python -m channels.officers create wang --name 王小明     # asks for the password twice (TTY)
    printf '%s\\n' "$PW" | python -m channels.officers create wang --name 王小明 --password-stdin
    python -m channels.officers passwd wang
    python -m channels.officers list

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

from .core.passwords import hash_password, password_problem
from .core.store import Store, open_store
from .settings import Settings

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,59}$")
MAX_NAME_LENGTH = 60


class CliError(Exception):
    pass


def _read_password(use_stdin: bool, stdin: TextIO, confirm: bool = True) -> str:
    if use_stdin or not stdin.isatty():
        line = stdin.readline()
        if not line:
            raise CliError("沒有從標準輸入讀到密碼 (no password on stdin).")
        return line.rstrip("\r\n")
    first = getpass.getpass("密碼 Password: ")
    if confirm:
        second = getpass.getpass("再輸入一次 Repeat: ")
        if first != second:
            raise CliError("兩次輸入的密碼不一致 (passwords do not match).")
    return first


def _store() -> Store:
    return open_store(Settings.from_env().database_url)


def cmd_create(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    username = args.username.strip()
    if not USERNAME_RE.match(username):
        raise CliError("帳號需為 2–60 個英數字或 . _ -，且以英數字開頭 "
                       "(username: 2-60 of A-Z a-z 0-9 . _ -, starting with a letter or digit).")
    name = (args.name or username).strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise CliError(f"顯示名稱需為 1–{MAX_NAME_LENGTH} 個字 (display name: 1-{MAX_NAME_LENGTH} characters).")
    store = _store()
    try:
        if any(o.username == username for o in store.officers()):
            raise CliError(f"帳號「{username}」已存在；要改密碼請用 passwd (username exists; use passwd).")
        password = _read_password(args.password_stdin, stdin)
        problem = password_problem(password)
        if problem:
            raise CliError(problem)
        from sqlalchemy.exc import IntegrityError
        try:
            officer = store.create_officer(username, name, hash_password(password))
        except IntegrityError:
            raise CliError(f"帳號「{username}」已存在 (username exists).") from None
    finally:
        store.dispose()
    print(f"已建立專人帳號「{officer.username}」（{officer.display_name}），編號 {officer.id}。"
          f" Created officer {officer.username} (id {officer.id}).", file=out)
    return 0


def cmd_passwd(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    store = _store()
    try:
        if not any(o.username == args.username for o in store.officers()):
            raise CliError(f"找不到帳號「{args.username}」(no such officer).")
        password = _read_password(args.password_stdin, stdin)
        problem = password_problem(password)
        if problem:
            raise CliError(problem)
        if not store.set_officer_password(args.username, hash_password(password)):
            raise CliError(f"找不到帳號「{args.username}」(no such officer).")
    finally:
        store.dispose()
    print(f"已更新「{args.username}」的密碼。 Password changed.", file=out)
    return 0


def cmd_list(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    store = _store()
    try:
        officers = store.officers()
    finally:
        store.dispose()
    if not officers:
        print("尚未建立任何專人帳號。 No officers yet: python -m channels.officers create <username> --name <名稱>",
              file=out)
        return 0
    print(f"{'id':>4}  {'username':<20} 顯示名稱", file=out)
    for o in officers:
        print(f"{o.id:>4}  {o.username:<20} {o.display_name}", file=out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m channels.officers",
                                description="專人服務台帳號管理 (officer console accounts). "
                                            "Database: HANDOFF_DATABASE_URL.")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create", help="建立帳號 create an officer")
    c.add_argument("username")
    c.add_argument("--name", help="顯示名稱 display name shown to users (default: the username)")
    c.add_argument("--password-stdin", action="store_true", help="從標準輸入第一行讀取密碼 read the password from stdin")
    c.set_defaults(func=cmd_create)
    pw = sub.add_parser("passwd", help="變更密碼 change a password")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true", help="從標準輸入第一行讀取密碼 read the password from stdin")
    pw.set_defaults(func=cmd_passwd)
    ls = sub.add_parser("list", help="列出帳號 list officers")
    ls.set_defaults(func=cmd_list)
    return p


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    stdin, out, err = stdin or sys.stdin, out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        return args.func(args, stdin, out)
    except CliError as exc:
        print(f"錯誤 Error: {exc}", file=err)
        return 1
    except KeyboardInterrupt:
        print("\n已取消 (cancelled).", file=err)
        return 130
    except Exception as exc:  # e.g. the database is unreachable
        print(f"錯誤 Error: {type(exc).__name__}: {exc}", file=err)
        return 1


if __name__ == "__main__":
    sys.exit(main())
