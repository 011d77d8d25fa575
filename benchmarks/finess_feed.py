"""Reading a national-size FINESS feed (issue 13): the fixture's real records repeated until the file has the size
of a national feed, then cut into lines and unnested as `serafin run` does (pipelines/ingestion/finess.py).
Prints the time and peak memory of each file; the feed is never held whole.

    python benchmarks/finess_feed.py --copies 250     # about 120 MB of structures, 205 MB of activities
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "finess"


def main() -> int:
    import duckdb

    from pipelines.ingestion import finess

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=250, help="times the fixture's legal entities are repeated")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="serafin-finess-") as tmp:
        work = Path(tmp)
        for name, table in (("finess-structures-ph-esms-sample.json", "finess_structures"),
                            ("finess-activites-ph-esms-sample.json", "finess_capacities")):
            feed = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
            path = work / name
            with path.open("w", encoding="utf-8") as handle:  # written entity by entity, like a download
                handle.write('{"schemaVersion": "v1.0.0", "pmej": [')
                for copy in range(args.copies):
                    for i, entity in enumerate(feed["pmej"]):
                        handle.write(("," if copy or i else "") + json.dumps(entity, ensure_ascii=False))
                handle.write("]}")
            del feed
            con = duckdb.connect()
            started = time.perf_counter()
            target = finess.read_file(con, path, table, f"finess/{name}", work)
            rows = con.execute(f"select count(*) from {target}").fetchone()[0]
            print(f"{table}: {path.stat().st_size / 1e6:,.0f} MB, {rows:,} rows in {time.perf_counter() - started:.1f} s, "
                  f"peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
            con.close()
            path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
