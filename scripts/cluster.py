"""``make cluster``: the production topology on this machine, supervised like ``make run``.

Two Rasa replicas (bot/endpoints.production.yml: trackers in PostgreSQL, conversation locks in
Redis), two action servers (replica i calls action server i) and two gateways that route each
conversation to one replica by consistent hashing (``RASA_URLS``, channels/rasa_client.py) with
failover, sharing one PostgreSQL handoff database whose schema is created once before they start
(``python -m channels.migrate``).

    make cluster                     Rasa :5005 :5006, actions :5055 :5056, gateways :8000 :8001
    make cluster ARGS="--offset 100 --fresh"

Settings: ``CLUSTER_PG_URL`` (admin connection, [postgresql://postgres@127.0.0.1:5432/postgres]),
``CLUSTER_REDIS`` ([127.0.0.1:6379/1]); ``--fresh`` drops and recreates the two databases and the
lock keys. Ctrl-C stops everything.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from scripts.stack import APP_PYTHON, MODEL, RASA_BIN, ROOT, Stack, StackConfig, _base_env, _get, serve

PRODUCTION_ENDPOINTS = ROOT / "bot" / "endpoints.production.yml"


@dataclass
class ClusterConfig:
    host: str = "127.0.0.1"
    replicas: int = 2
    rasa_port: int = 5005                   # replica i listens on rasa_port + i, and so on
    action_port: int = 5055
    gateway_port: int = 8000
    pg_admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    tracker_db: str = "hotline_rasa"
    handoff_db: str = "hotline_handoff"
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    redis_db: int = 1
    redis_key_prefix: str = "hotline"       # alphanumeric (Rasa's rule)
    lock_lifetime_s: int = 20               # TICKET_LOCK_LIFETIME, below rasa_timeout_s
    rasa_timeout_s: float = 30.0
    var_dir: Path = ROOT / "var" / "cluster"
    log_dir: Path | None = None
    model: Path = MODEL
    extra_env: dict[str, str] = field(default_factory=dict)

    def url(self, port: int) -> str:
        return f"http://{self.host}:{port}"

    def rasa_urls(self) -> list[str]:
        return [self.url(self.rasa_port + i) for i in range(self.replicas)]

    def action_urls(self) -> list[str]:
        return [self.url(self.action_port + i) for i in range(self.replicas)]

    def gateway_urls(self) -> list[str]:
        return [self.url(self.gateway_port + i) for i in range(self.replicas)]

    @property
    def _pg(self):
        return urlsplit(self.pg_admin_url)

    def handoff_url(self) -> str:
        pg = self._pg
        auth = pg.username + (f":{pg.password}" if pg.password else "") + "@" if pg.username else ""
        return f"postgresql+psycopg2://{auth}{pg.hostname}:{pg.port or 5432}/{self.handoff_db}"

    def rasa_env(self, i: int) -> dict[str, str]:
        """The variables bot/endpoints.production.yml reads, for replica i."""
        pg = self._pg
        return {
            "ACTION_ENDPOINT_URL": f"{self.action_urls()[i]}/webhook",
            "TRACKER_DB_HOST": pg.hostname or "127.0.0.1",
            "TRACKER_DB_PORT": str(pg.port or 5432),
            "TRACKER_DB_NAME": self.tracker_db,
            "TRACKER_DB_USER": pg.username or "postgres",
            "TRACKER_DB_PASSWORD": pg.password or "",
            "REDIS_HOST": self.redis_host,
            "REDIS_PORT": str(self.redis_port),
            "REDIS_LOCK_DB": str(self.redis_db),
            "REDIS_KEY_PREFIX": self.redis_key_prefix,
            "TICKET_LOCK_LIFETIME": str(self.lock_lifetime_s),
        }


def _admin(cfg: ClusterConfig):
    import psycopg2

    conn = psycopg2.connect(cfg.pg_admin_url)
    conn.autocommit = True
    return conn


def prepare(cfg: ClusterConfig, fresh: bool = False) -> None:
    """Databases (created when missing; dropped first with ``fresh``), lock keys, handoff schema."""
    conn = _admin(cfg)
    try:
        with conn.cursor() as cur:
            for db in (cfg.tracker_db, cfg.handoff_db):
                if fresh:
                    cur.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{db}"')
    finally:
        conn.close()
    if fresh:
        clear_locks(cfg)
    env = {**_base_env(StackConfig()), "HANDOFF_DATABASE_URL": cfg.handoff_url()}
    subprocess.run([str(APP_PYTHON), "-m", "channels.migrate"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def clear_locks(cfg: ClusterConfig) -> None:
    import redis

    r = redis.Redis(host=cfg.redis_host, port=cfg.redis_port, db=cfg.redis_db)
    for key in r.scan_iter(match=f"{cfg.redis_key_prefix}:*"):
        r.delete(key)
    r.close()


def drop(cfg: ClusterConfig) -> None:
    """Remove the cluster's databases and lock keys (tests clean up with this)."""
    conn = _admin(cfg)
    try:
        with conn.cursor() as cur:
            for db in (cfg.tracker_db, cfg.handoff_db):
                cur.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    finally:
        conn.close()
    clear_locks(cfg)


class Cluster(Stack):
    """Six supervised servers: rasa-0/1, actions-0/1, gateway-0/1 (``Stack``'s start, supervision,
    readiness, kill and stop)."""

    def __init__(self, cfg: ClusterConfig, services: tuple[str, ...] | None = None, **kw):
        names = services or tuple(f"{kind}-{i}" for kind in ("actions", "rasa", "gateway")
                                  for i in range(cfg.replicas))
        super().__init__(StackConfig(host=cfg.host, var_dir=cfg.var_dir, log_dir=cfg.log_dir,
                                     model=cfg.model, extra_env=cfg.extra_env), services=names, **kw)
        self.cluster = cfg

    def start(self) -> None:
        if not self.cluster.model.exists():
            raise FileNotFoundError(f"no trained model at {self.cluster.model}: run `make train`")
        super().start()

    def commands(self) -> dict[str, tuple[list[str], dict[str, str]]]:
        c = self.cluster
        env = _base_env(self.cfg)
        env.pop("RASA_URLS", None)
        out: dict[str, tuple[list[str], dict[str, str]]] = {}
        for i in range(c.replicas):
            out[f"actions-{i}"] = (
                [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "-p", str(c.action_port + i)],
                {**env, "SANIC_HOST": c.host})
            out[f"rasa-{i}"] = (
                [str(RASA_BIN), "run", "--enable-api", "-i", c.host, "-p", str(c.rasa_port + i),
                 "--model", str(c.model), "--endpoints", str(PRODUCTION_ENDPOINTS),
                 "--credentials", str(ROOT / "bot" / "credentials.yml"),
                 *(["--auth-token", env["RASA_TOKEN"]] if env.get("RASA_TOKEN") else [])],
                {**env, **c.rasa_env(i)})
            out[f"gateway-{i}"] = (
                [str(APP_PYTHON), "-m", "uvicorn", "channels.app:app", "--host", c.host,
                 "--port", str(c.gateway_port + i), "--log-level", "warning"],
                {**env, "RASA_URL": c.rasa_urls()[i], "RASA_URLS": ",".join(c.rasa_urls()),
                 "ACTION_SERVER_URL": c.action_urls()[i], "HANDOFF_DATABASE_URL": c.handoff_url(),
                 "RASA_TIMEOUT_S": str(c.rasa_timeout_s)})
        return out

    def listen_ports(self) -> dict[str, list[int]]:
        c = self.cluster
        ports = {f"{kind}-{i}": [base + i] for i in range(c.replicas)
                 for kind, base in (("rasa", c.rasa_port), ("actions", c.action_port), ("gateway", c.gateway_port))}
        return {name: ports[name] for name in self.services if name in ports}

    def checks(self) -> dict[str, Callable[[], bool]]:
        c = self.cluster
        out: dict[str, Callable[[], bool]] = {}
        for i in range(c.replicas):
            rasa, actions, gateway = c.rasa_urls()[i], c.action_urls()[i], c.gateway_urls()[i]

            def rasa_ok(url=rasa) -> bool:
                status, body = _get(f"{url}/status")
                return status == 200 and b"hotline" in body

            out[f"rasa-{i}"] = rasa_ok
            out[f"actions-{i}"] = lambda url=actions: _get(f"{url}/health")[0] == 200
            out[f"gateway-{i}"] = lambda url=gateway: _get(f"{url}/health")[0] in (200, 503)
        return out


def parse_args(argv: list[str] | None = None) -> tuple[ClusterConfig, bool]:
    ap = argparse.ArgumentParser(prog="python -m scripts.cluster", description=__doc__.split("\n\n")[0])
    ap.add_argument("--offset", type=int, default=0, help="added to every port")
    ap.add_argument("--fresh", action="store_true", help="drop and recreate the databases and lock keys")
    ap.add_argument("--log-dir", type=Path, default=None, help="one log per server instead of stdout")
    a = ap.parse_args(argv)
    d = ClusterConfig()
    redis_spec = os.environ.get("CLUSTER_REDIS", f"{d.redis_host}:{d.redis_port}/{d.redis_db}")
    hostport, _, db = redis_spec.partition("/")
    rhost, _, rport = hostport.partition(":")
    cfg = ClusterConfig(rasa_port=d.rasa_port + a.offset, action_port=d.action_port + a.offset,
                        gateway_port=d.gateway_port + a.offset,
                        pg_admin_url=os.environ.get("CLUSTER_PG_URL", d.pg_admin_url),
                        redis_host=rhost or d.redis_host, redis_port=int(rport or d.redis_port),
                        redis_db=int(db or d.redis_db), log_dir=a.log_dir)
    return cfg, a.fresh


def main(argv: list[str] | None = None) -> int:
    cfg, fresh = parse_args(argv)
    print(f"Preparing PostgreSQL ({cfg.tracker_db}, {cfg.handoff_db}) and Redis db {cfg.redis_db}…", flush=True)
    prepare(cfg, fresh=fresh)

    def banner() -> str:
        return ("\nThe cluster is running:\n"
                + "".join(f"  rasa-{i}     {u}\n" for i, u in enumerate(cfg.rasa_urls()))
                + "".join(f"  actions-{i}  {u}\n" for i, u in enumerate(cfg.action_urls()))
                + "".join(f"  gateway-{i}  {u}/   (RASA_URLS={','.join(cfg.rasa_urls())})\n"
                          for i, u in enumerate(cfg.gateway_urls()))
                + f"  trackers     PostgreSQL {cfg.tracker_db}; handoff {cfg.handoff_db}; locks Redis db "
                  f"{cfg.redis_db} ({cfg.redis_key_prefix}:*), lock lifetime {cfg.lock_lifetime_s}s\n")

    return serve(Cluster(cfg), banner=banner, ready_timeout=900,
                 starting=f"Starting {cfg.replicas} × (action server, Rasa, gateway); "
                          "two Rasa replicas take a few minutes…")


if __name__ == "__main__":
    sys.exit(main())
