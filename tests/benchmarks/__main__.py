"""Run the benchmarks: python -m tests.benchmarks [--smoke] [name ...]."""

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from pathlib import Path

from tests.benchmarks.harness import Results


def main() -> int:
    """Run every benchmark (or the named ones) and save the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmark names, e.g. calendar")
    parser.add_argument("--smoke", action="store_true", help="tiny volumes")
    parser.add_argument("--out", default="bench-results")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    folder = Path(__file__).parent
    names = sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([folder])
        if m.name.startswith("bench_")
    )
    chosen = args.names or names
    database = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    results = Results(database=database, smoke=args.smoke)
    for name in chosen:
        module = importlib.import_module(f"tests.benchmarks.bench_{name}")
        sys.stdout.write(f"== {name}\n")
        module.run(results, smoke=args.smoke)
    results.save(Path(args.out) / f"{database}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
