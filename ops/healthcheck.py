"""Container health check: `python -m ops.healthcheck [URL]` exits 0 when the process answers HTTP.

Without URL it asks this process's metrics port (`METRICS_PORT`), which every service serves while
its nameko container runs; the gateway and the bank simulator pass their own address.
"""
import os
import sys
import urllib.error
import urllib.request


def answers(url):
    try:
        urllib.request.urlopen(url, timeout=3)
    except urllib.error.HTTPError:
        return True  # it answered, even if not 200
    except OSError:
        return False
    return True


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    url = argv[0] if argv else f"http://127.0.0.1:{os.environ['METRICS_PORT']}/metrics"
    return 0 if answers(url) else 1


if __name__ == "__main__":
    sys.exit(main())
