"""The FHIR input path against the CSV path (issues 15, 36): the same N activity rows written as a CSV file, as
TDDUI FHIR NDJSON (a Bundle of the persons, professionals and ESMS, then one Encounter per line, a collective event
with a Group subject) and as the same resources in one Bundle (`evenements.json`, its entries streamed), each
landed by the real ingestion (`land_folder`, the Parquet row files of `serafin run`) in the same run, each in a child
process of its own. Prints rows per second, CPU seconds (every thread: the figure to compare on a busy machine) and
peak memory of each path, and the load average; targets (issue 36): NDJSON ≥ 300,000 rows/s, Bundle ≥ 150,000;
nothing here is a timed test. `--guide-identifiers` gives each event an identifier of the guide's own form
(`3690000013/U0000007-EVN-12`: the site, the usager, the event), which the ingestion scrubs of its usager part.

    python benchmarks/fhir_feed.py --events 1e6 [--guide-identifiers]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FINESS = ["690000013", "690000021", "690000039", "690000047"]
CODES = ["2.1.2.1", "2.2.1", "2.3.3.1", "2.3.4.2", "2.4.1"]
SETTINGS = [("structure", "AMB"), ("domicile", "HH"), ("cite", "FLD")]


def _identifier(e: int, finess: str, person: int, guide: bool) -> str:
    """An event's identifier: `EV<n>`, or the guide's form (elements.LOCAL_ID_IN_SQL): a site of 10 characters
    opening with `3` (made from the FINESS), the usager (its first person), the event."""
    return f"3{finess[1:3]}0{finess[3:]}/U{person:07d}-EVN-{e}" if guide else f"EV{e}"


def _write(work: Path, events: int, persons: int, professionals: int,
           guide: bool = False) -> tuple[Path, Path, int]:
    """landing-csv/activity.csv, landing-fhir/fhir/{referentiel.json, evenements.ndjson} and
    landing-bundle/fhir/{referentiel.json, evenements.json}; returns the row count."""
    csv_landing, fhir_landing = work / "landing-csv", work / "landing-fhir"
    (csv_landing).mkdir()
    (fhir_landing / "fhir").mkdir(parents=True)
    referentiel = [{"resourceType": "Organization", "id": f"o{f}",
                    "identifier": [{"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1" + f}]} for f in FINESS]
    referentiel += [{"resourceType": "Practitioner", "id": f"k{k}", "identifier": [{"value": f"PRO{k:05d}"}]}
                    for k in range(professionals)]
    referentiel += [{"resourceType": "Patient", "id": f"u{p}", "identifier": [{"value": f"U{p:07d}"}],
                     "gender": "female" if p % 2 else "male", "birthDate": f"{1960 + p % 50}-01-01"}
                    for p in range(persons)]
    (fhir_landing / "fhir" / "referentiel.json").write_text(json.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in referentiel]}))
    rows = 0
    with (csv_landing / "activity.csv").open("w", encoding="utf-8") as csv, \
            (fhir_landing / "fhir" / "evenements.ndjson").open("w", encoding="utf-8") as ndjson:
        csv.write("event_id,person_id,finess_et,professional_id,prestation_code,started_at,ended_at,setting,status\n")
        for e in range(events):
            finess, code = FINESS[e % len(FINESS)], CODES[e % len(CODES)]
            setting, cls = SETTINGS[e % len(SETTINGS)]
            day, hour = 1 + e % 28, 8 + e % 9
            start, end = f"2025-{1 + e % 12:02d}-{day:02d}T{hour:02d}:00:00", f"2025-{1 + e % 12:02d}-{day:02d}T{hour:02d}:45:00"
            attending = [(e * 7) % persons] if e % 10 else [(e * 7 + i) % persons for i in range(3)]
            ident = _identifier(e, finess, attending[0], guide)
            encounter = {"resourceType": "Encounter", "id": f"e{e}", "identifier": [{"value": ident}],
                         "status": "finished", "class": {"code": cls},
                         "type": [{"coding": [{"system": "https://smt.esante.gouv.fr/terminologie-SERAFINPH",
                                               "code": code}]}],
                         "participant": [{"individual": {"reference": f"Practitioner/k{e % professionals}"}}],
                         "period": {"start": start, "end": end}, "serviceProvider": {"reference": f"Organization/o{finess}"}}
            if len(attending) == 1:
                encounter["subject"] = {"reference": f"Patient/u{attending[0]}"}
            else:
                ndjson.write(json.dumps({"resourceType": "Group", "id": f"g{e}", "type": "person", "actual": True,
                                         "member": [{"entity": {"reference": f"Patient/u{p}"}} for p in attending]}) + "\n")
                encounter["subject"] = {"reference": f"Group/g{e}"}
            ndjson.write(json.dumps(encounter) + "\n")
            for p in attending:
                csv.write(f"{ident},U{p:07d},{finess},PRO{e % professionals:05d},{code},{start},{end},{setting},realise\n")
                rows += 1
    _as_bundle(fhir_landing / "fhir", work / "landing-bundle" / "fhir")
    return csv_landing, fhir_landing, rows


def _as_bundle(source: Path, target: Path) -> None:
    """The NDJSON file's resources as the entries of one Bundle (written a line at a time), the referentiel as is."""
    target.mkdir(parents=True)
    (target / "referentiel.json").write_bytes((source / "referentiel.json").read_bytes())
    with (source / "evenements.ndjson").open(encoding="utf-8") as lines, \
            (target / "evenements.json").open("w", encoding="utf-8") as out:
        out.write('{"resourceType": "Bundle", "type": "collection", "entry": [\n')
        for number, line in enumerate(lines):
            out.write(("," if number else "") + '{"resource": ' + line.rstrip("\n") + "}\n")
        out.write("]}\n")


def _land(landing: Path, work: Path, name: str) -> dict:
    """Land one folder in a child process of its own (its peak memory its own): elapsed seconds, CPU seconds (user +
    system, every thread), activity rows and peak RSS in MB."""
    import subprocess

    done = subprocess.run([sys.executable, __file__, "--land", str(landing), "--work", str(work), "--name", name],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _land_here(landing: Path, work: Path, name: str) -> None:
    import duckdb

    from pipelines.ingestion.landing import land_folder

    con = duckdb.connect(str(work / f"{name}.duckdb"))
    cpu, started = time.process_time(), time.perf_counter()
    land_folder(con, landing, b"benchmark-key-not-secret-32-bytes!", work / f"{name}.raw")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = con.execute("select count(*) from raw.activity").fetchone()[0]
    con.close()
    print(json.dumps({"elapsed": elapsed, "cpu": cpu, "rows": rows,
                      "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=float, default=1e6)
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--professionals", type=int, default=400)
    parser.add_argument("--guide-identifiers", action="store_true", help="event identifiers of the guide's form")
    parser.add_argument("--land", type=Path, help=argparse.SUPPRESS)  # the child process landing one folder
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.land:
        _land_here(args.land, args.work, args.name)
        return 0
    with tempfile.TemporaryDirectory(prefix="serafin-fhir-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        csv_landing, fhir_landing, rows = _write(work, int(args.events), args.persons, args.professionals,
                                                   args.guide_identifiers)
        os.sync()  # the inputs' 1.2 GB on disk before any landing is timed: the kernel's writeback ran beside them
        size = (fhir_landing / "fhir" / "evenements.ndjson").stat().st_size
        print(f"written in {time.perf_counter() - started:.1f} s: {int(args.events):,} events, {rows:,} activity rows; "
              f"NDJSON {size / 1e6:,.0f} MB, CSV {(csv_landing / 'activity.csv').stat().st_size / 1e6:,.0f} MB")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; cpu count {os.cpu_count()}")
        results = {}
        for name, landing in (("csv", csv_landing), ("fhir", fhir_landing), ("bundle", work / "landing-bundle")):
            got = results[name] = _land(landing, work, name)
            print(f"{name:>6}: {got['rows']:,} rows in {got['elapsed']:.1f} s = {got['rows'] / got['elapsed']:,.0f} "
                  f"rows/s; CPU {got['cpu']:.1f} s = {got['rows'] / got['cpu']:,.0f} rows per CPU-second; "
                  f"peak RSS {got['rss']:,.0f} MB", flush=True)
        for name, label in (("fhir", "NDJSON"), ("bundle", "Bundle")):
            print(f"{label} / CSV: time {results[name]['elapsed'] / results['csv']['elapsed']:.1f} ×, "
                  f"CPU {results[name]['cpu'] / results['csv']['cpu']:.1f} ×")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
