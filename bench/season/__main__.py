"""`python -m bench.season [--students 50000] [--clients 32] [--copies N]`

Without `--url` it runs the platform itself as OS processes, each service started with `nameko run`
as `./platform start` does (tests/processes.py), on fresh PostgreSQL databases on the private
cluster (127.0.0.1:55432, which `./platform start --postgres` starts), a fresh vhost of the local
RabbitMQ and its own bank simulator; `--copies N` runs N copies of the busiest services (and N
gateways, the clients spread over them). With `--url` (repeatable) it drives a running platform
whose registry's signing key it is given (`--signing-key`) and whose registry trusts the test PKI.
Prints the figures and saves them to bench/results/.
"""
import argparse
import datetime as dt
import os
import sys
import tempfile
import time

from bench.season.driver import Season
from bench.season.own_platform import BUSIEST, MANAGEMENT_URL, POSTGRES_URL, OwnPlatform
from common import gost
from common.auth import SigningKey
from tests.processes import ROOT

RESULTS = os.path.join(ROOT, "bench", "results")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.season", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients")
    parser.add_argument("--copies", type=int, default=1, help="copies of the gateway and the busiest services")
    parser.add_argument("--url", action="append", help="a running platform's gateway (repeatable)")
    parser.add_argument("--signing-key", default=os.environ.get("AUTH_SIGNING_KEY", "var/auth/signing-key.pem"),
                        help="with --url: the registry's token signing key (file), to mint staff tokens")
    parser.add_argument("--pid", action="append", default=[], metavar="NAME=PID",
                        help="with --url: a platform process whose memory to sample (repeatable)")
    parser.add_argument("--vhost", default="/", help="with --url: the broker vhost to sample")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--management-url", default=MANAGEMENT_URL)
    parser.add_argument("--timeout", type=float, default=300, help="longest wait for an event to arrive")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    own = None
    if args.url:
        urls, key, vhost = args.url, SigningKey.from_setting(args.signing_key), args.vhost
        pids = dict(item.split("=", 1) for item in args.pid)
    else:
        own = OwnPlatform(tempfile.mkdtemp(prefix="season-"), args.copies, postgres_url=args.postgres_url,
                          management_url=args.management_url)
        print(f"starting the platform ({args.copies} copies of gateway, {', '.join(BUSIEST)}); logs in "
              f"{own.log_dir}", file=sys.stderr)
        own.start()
        urls, key, vhost, pids = own.base_urls, own.signing_key, own.vhost, own.pids()
    try:
        season = Season(urls, key, students=args.students, clients=args.clients, pids=pids,
                        management_url=args.management_url, vhost=vhost, progress=sys.stderr,
                        timeout=args.timeout)
        report = season.run()
    finally:
        if own:
            own.stop()
    heading = (f"season of {args.students} students, {args.clients} clients, {len(urls)} gateway(s), "
               f"copies={args.copies}, Streebog: {gost.STREEBOG}, {dt.datetime.now():%Y-%m-%d %H:%M}")
    output = heading + "\n" + report.text()
    print(output)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, f"season-{args.students}-x{args.copies}-{int(time.time())}.txt"), "w") as f:
        f.write(output + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
