"""Operations on the platform's databases: `python -m ops.manage migrate|seed|revision`, and the
registry's token keys: `python -m ops.manage keys FOLDER`.

Each service's DATABASE_URL comes from <SERVICE>_DATABASE_URL, as in its config.yml.
"""
import argparse
import os
import sys

from alembic import command

from common.migrations import alembic_config, upgrade

SERVICES = ("registry", "placement", "timesheet", "payments", "credits", "notifications", "coverage")


def database_url(service):
    return os.environ.get(f"{service.upper()}_DATABASE_URL", f"sqlite:///var/{service}.db")


def migrate(services):
    os.makedirs("var", exist_ok=True)
    for service in services:
        upgrade(service, database_url(service))
        print(f"{service}: database at head")


def seed():
    from sqlalchemy.orm import Session

    from common.db import make_engine
    from services.registry.repository import seed_reference_data

    with Session(make_engine(database_url("registry"))) as session, session.begin():
        seed_reference_data(session)
    print("registry: regions and universities seeded")


def bootstrap_admin(iin, name):
    """The first admin user, who then signs in by EDS and creates everyone else."""
    from sqlalchemy.orm import Session

    from common.db import make_engine
    from services.registry.repository import bootstrap_admin as create_admin

    with Session(make_engine(database_url("registry")), expire_on_commit=False) as session, session.begin():
        staff, created = create_admin(session, iin, name)
    print(f"registry: admin {staff.full_name} ({staff.iin}) " + ("created" if created else "already exists"))


def keys(folder):
    """An Ed25519 key pair for the registry's access tokens in `folder` (signing-key.pem, readable by
    its owner only, and public-key.pem), unless one is there."""
    from common.auth import SigningKey

    private, public = os.path.join(folder, "signing-key.pem"), os.path.join(folder, "public-key.pem")
    if os.path.exists(private):
        print(f"token keys: {private} exists")
        return
    os.makedirs(folder, exist_ok=True)
    key = SigningKey.generate()
    with open(os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(key.private_pem())
    with open(public, "w") as out:
        out.write(key.public_pem())
    print(f"token keys: {private} and {public} (kid {key.kid})")


def revision(service, message):
    """A new migration for `service`, generated from the difference between its models and its head."""
    command.revision(alembic_config(service, database_url(service)), message=message, autogenerate=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ops.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    migrate_cmd = commands.add_parser("migrate", help="upgrade every service's database to head")
    migrate_cmd.add_argument("services", nargs="*", default=list(SERVICES))
    commands.add_parser("seed", help="load regions and a few universities")
    revision_cmd = commands.add_parser("revision", help="generate a migration for a service")
    revision_cmd.add_argument("service", choices=SERVICES)
    revision_cmd.add_argument("message")
    keys_cmd = commands.add_parser("keys", help="make the registry's token signing key pair, if missing")
    keys_cmd.add_argument("folder", nargs="?", default="var/auth")
    admin_cmd = commands.add_parser("bootstrap-admin", help="create the first admin (signs in by EDS)")
    admin_cmd.add_argument("--iin", required=True)
    admin_cmd.add_argument("--name", required=True)
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate(args.services)
    elif args.command == "seed":
        seed()
    elif args.command == "keys":
        keys(args.folder)
    elif args.command == "bootstrap-admin":
        try:
            bootstrap_admin(args.iin, args.name)
        except ValueError as exc:
            parser.error(str(exc))
    else:
        revision(args.service, args.message)


if __name__ == "__main__":
    sys.exit(main())
