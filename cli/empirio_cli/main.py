"""Entry point of the `empirio` command."""

from __future__ import annotations

import argparse

from empirio_cli import admin, catalog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="empirio", description="EmpirioLabs gateway tools")
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="run the whole API locally on moto")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    admin.add_parser(sub)
    catalog.add_parser(sub)
    for job, text in (
        ("sweep", "release expired holds"),
        ("rollup", "roll up closed hours of usage"),
        ("reconcile", "check every account's books"),
    ):
        command = sub.add_parser(job, help=f"{text} on the running dev server (the scheduled job)")
        admin.add_target_arguments(command)
        command.set_defaults(admin_command=job)
    args = parser.parse_args(argv)
    if args.command == "dev":
        from empirio_cli import dev as dev_server

        return dev_server.run(args.host, args.port)
    if args.command == "catalog":
        return catalog.run(args)
    return admin.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
