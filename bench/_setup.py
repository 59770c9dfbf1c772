"""What several benchmarks share: pointing Django at the bench's own database, and emptying
that database (never the app's: a PostgreSQL bench database's name starts with
``comptoir_bench``). The scripts expect ``args.db`` ("postgresql" or "sqlite"),
``args.pg_url`` and ``args.sqlite_path``."""

import argparse
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def configure_environment(args: argparse.Namespace) -> None:
    os.environ.setdefault("COMPTOIR_VAR_DIR", str(REPO / "var"))
    os.environ["COMPTOIR_DATABASE_URL"] = (
        args.pg_url if args.db == "postgresql" else f"sqlite:///{args.sqlite_path.resolve()}"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    os.environ["COMPTOIR_DEBUG"] = "0"


def reset_database(args: argparse.Namespace) -> None:
    """Start from an empty database (the bench database only, never the app's)."""
    if args.db == "postgresql":
        import psycopg
        from psycopg import sql

        name = args.pg_url.rsplit("/", 1)[1].split("?")[0]
        if not name.startswith("comptoir_bench"):
            raise SystemExit(f"refusing to drop {name!r}: the bench database name must start "
                             "with 'comptoir_bench'")
        admin_url = args.pg_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    else:
        args.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = Path(f"{args.sqlite_path}{suffix}")
            if path.exists():
                path.unlink()
