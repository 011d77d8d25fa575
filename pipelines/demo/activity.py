"""activity/: monthly files of events, generated set-based in DuckDB from hashes of (seed, keys), so it is
deterministic and scales to millions of rows without holding them in Python; half the months written as
French exports (`;`, Windows-1252, French headers and labels, DD/MM/YYYY)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipelines.demo.files import transcode
from pipelines.demo.profile import CATEGORIES, COLLECTIVE, INDIVIDUAL, GeneratorConfig

# What each kind of ESMS records of its time (cost-method step 12, traceability), beyond the rhythm of
# profile.CATEGORIES: (individual events per person-week and collective events per group-week recorded on top,
# professionals leading a collective event, scale of the recorded durations, minutes of indirect work without a person
# per professional and week: synthesis meetings, coordination, 3.x). A SESSAD's work is appointments, most of it
# recorded (about 60 % of the paid hours); an IME records half-day group sessions led by two professionals and long
# team meetings (about 40 %); in a MAS or a FAM much of the day's care is not recorded event by event (25-30 %).
PRACTICE = {"IME": (0, 0, 2, 1.3, 120), "SESSAD": (1, 0, 1, 1.0, 60), "MAS": (4, 4, 1, 1.0, 60),
            "FAM": (3, 4, 1, 1.0, 60), "ESAT": (0, 0, 1, 1.0, 60), "SAVS": (0, 0, 1, 1.0, 60)}
# how much a profession records relative to the others of its ESMS (1: as much): therapists work by appointments,
# the staff of daily care records a smaller share of its time. Activity is drawn in proportion to FTE × this.
RECORDING = {"orthophoniste": 1.25, "psychomotricien": 1.25, "psychologue": 1.2, "medecin": 1.1,
             "moniteur_educateur": 0.9, "aes": 0.7, "aide_soignant": 0.6}


def _pros(staff_ids) -> list[tuple[str, int, str, int, int]]:
    """(finess_et, idx, professional_id, lo, hi): each professional's slice of [0, 1 000 000), in proportion to his
    FTE × RECORDING; an event goes to the professional whose slice holds a number drawn from its hash."""
    out = []
    for finess, members in staff_ids.items():
        weights = [max(fte, 0.01) * RECORDING.get(profession, 1.0) for _, profession, fte in members]
        total, cumulated = sum(weights), 0.0
        for i, ((pid, _, _), weight) in enumerate(zip(members, weights)):
            lo = round(1_000_000 * cumulated / total)
            cumulated += weight
            hi = 1_000_000 if i == len(members) - 1 else round(1_000_000 * cumulated / total)
            out.append((finess, i, pid, lo, hi))
    return out


def write_activity(out: Path, esms, stays, staff_ids, years, config: GeneratorConfig) -> int:
    """activity/activite_YYYY-MM.csv from the stays and the staff; the number of rows written."""
    import duckdb

    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    first, last = date(years[0], 1, 1), date(years[-1], 12, 31)
    _load_inputs(con, esms, stays, staff_ids)
    _person_weeks(con, config.seed, first, last)
    factor, keep = _scale(con, config, first, last)
    _events(con, config.seed, factor, keep)
    _activity(con, last)
    _indirect(con, config.seed, first, last)
    count = con.execute("select count(*) from activity").fetchone()[0]
    _write_months(con, out / "activity", config)
    con.close()
    return count


def _load_inputs(con, esms, stays, staff_ids) -> None:
    """The generator's inputs as tables: ESMS, stays, professionals' slices, codes, settings, practices."""
    con.execute("create table esms(finess_et varchar, category varchar, places int)")
    con.executemany("insert into esms values (?, ?, ?)", [(e["finess_et"], e["category"], e["places"]) for e in esms])
    con.execute("create table stays(person_id varchar, finess_et varchar, start_date date, end_date date)")
    con.executemany("insert into stays values (?, ?, ?, ?)", [(s[1], s[2], s[3], s[4] or None) for s in stays])
    con.execute("create table pros(finess_et varchar, idx int, professional_id varchar, lo int, hi int)")
    con.executemany("insert into pros values (?, ?, ?, ?, ?)", _pros(staff_ids))
    con.execute("create table codes(category varchar, collective boolean, idx int, code varchar, minutes int)")
    con.executemany("insert into codes values (?, ?, ?, ?, ?)", _code_rows())
    con.execute("create table settings(category varchar, idx int, setting varchar)")
    con.executemany("insert into settings values (?, ?, ?)",
                    [(cat, i, s) for cat, spec in CATEGORIES.items() for i, s in enumerate(spec[7])])
    con.execute("create table cat(category varchar, ind int, col int, crew int, scale double, indirect int)")
    con.executemany("insert into cat values (?, ?, ?, ?, ?, ?)",
                    [(c, s[5] + PRACTICE[c][0], s[6] + PRACTICE[c][1], *PRACTICE[c][2:]) for c, s in CATEGORIES.items()])


def _code_rows() -> list[tuple[str, bool, int, str, int]]:
    """(category, collective, idx, code, minutes): each code repeated by its weight, so a draw of idx is weighted."""
    rows = []
    for cat, table in INDIVIDUAL.items():
        expanded = [(c, m) for c, m, w in table for _ in range(w)]
        rows += [(cat, False, i, c, m) for i, (c, m) in enumerate(expanded)]
    for cat, table in COLLECTIVE.items():
        expanded = [(c, m) for c, m, w in table for _ in range(w)]
        rows += [(cat, True, i, c, m) for i, (c, m) in enumerate(expanded)]
    return rows


def _person_weeks(con, seed: int, first: date, last: date) -> None:
    # person-weeks: weeks of the period inside a stay; children's ESMS close 10 weeks a year
    con.execute(f"""
        create table person_weeks as
        select s.person_id, s.finess_et, e.category, w.week_start,
               abs(hash(s.person_id, {seed})) % greatest(1, e.places // 6) as grp
        from stays s
        join esms e using (finess_et)
        join (select cast(range as date) as week_start
              from range(date '{first}', date '{last}', interval 7 day)) w
          on w.week_start between s.start_date and coalesce(s.end_date, date '{last}')
        where not (e.category in ('IME', 'SESSAD') and extract(week from w.week_start) in (1, 8, 16, 28, 29, 30, 31, 32, 33, 52))
    """)


def _scale(con, config: GeneratorConfig, first: date, last: date) -> tuple[int, float]:
    # rows at the natural rhythm of each category; a target size scales it by a whole factor, then keeps
    # a share of the events (by hash, deterministic) so that the total lands close to the target
    base = con.execute("""select sum(c.ind) + sum(c.col * c.crew) from person_weeks p join cat c using (category)""").fetchone()[0] or 1
    indirect = con.execute(f"""select count(*) * (select count(*) from range(date '{first}', date '{last}', interval 7 day))
                               from pros""").fetchone()[0]
    factor, keep = 1, 1.0
    if config.activity_rows:
        wanted = max(1, config.activity_rows - indirect)
        factor = max(1, -(-wanted // base))
        keep = min(1.0, wanted / (base * factor))
    return factor, keep


def _events(con, seed: int, factor: int, keep: float) -> None:
    kept = f"h % 1000000 < {int(keep * 1_000_000)}"
    con.execute(f"""
        create table events as
        with ind as (
            select p.person_id, p.finess_et, p.category, p.week_start, k,
                   'E' || substr(md5(p.person_id || p.week_start || k || '{seed}'), 1, 14) as event_id,
                   abs(hash(p.person_id, p.week_start, k, {seed})) as h
            from person_weeks p join cat c using (category), range(c.ind * {factor}) r(k)
        ),
        ind_kept as (select * from ind where {kept}),
        col as (
            select distinct p.finess_et, p.category, p.week_start, p.grp, k
            from person_weeks p join cat c using (category), range(c.col * {factor}) r(k)
        ),
        col_events as (
            select c.*, 'C' || substr(md5(c.finess_et || c.grp || c.week_start || c.k || '{seed}'), 1, 14) as event_id,
                   abs(hash(c.finess_et, c.grp, c.week_start, c.k, {seed})) as h
            from col c
        )
        select i.event_id, i.person_id, i.finess_et, i.category, i.week_start, i.h, false as collective from ind_kept i
        union all
        select ce.event_id, p.person_id, ce.finess_et, ce.category, ce.week_start, ce.h, true
        from (select * from col_events where {kept}) ce join person_weeks p
          on p.finess_et = ce.finess_et and p.week_start = ce.week_start and p.grp = ce.grp
    """)


def _activity(con, last: date) -> None:
    con.execute(f"""
        create table activity as
        select
            ev.event_id,
            ev.person_id,
            ev.finess_et,
            pr.professional_id,
            cd.code as prestation_code,
            ev.week_start + cast(ev.h % 5 as int) + interval (8 + (ev.h // 7) % 9) hour
                + interval (15 * ((ev.h // 11) % 4)) minute as started_at,
            cast(round(cd.minutes * ct.scale / 5) * 5 as int) as duration_min,
            st.setting,
            case when (ev.h // 13) % 40 = 0 then 'PART0' || cast(1 + (ev.h // 17) % 5 as varchar) end as partner_id,
            case when (ev.h // 19) % 50 = 0 then 'annule' when (ev.h // 19) % 50 = 1 then 'planifie' else 'realise' end as status,
            (ev.h // 23) % 60 = 0 as outside_plan
        from events ev
        join pros pr on pr.finess_et = ev.finess_et and (ev.h // 29) % 1000000 >= pr.lo and (ev.h // 29) % 1000000 < pr.hi
        join (select category, collective, count(*) as n from codes group by all) nc
          on nc.category = ev.category and nc.collective = ev.collective
        join codes cd on cd.category = ev.category and cd.collective = ev.collective and cd.idx = (ev.h // 31) % nc.n
        join settings st on st.category = ev.category and st.idx = (ev.h // 37) % 4
        join cat ct on ct.category = ev.category
        where ev.week_start + cast(ev.h % 5 as int) <= date '{last}'
    """)
    # a collective event led by two professionals: the next one of the ESMS's list (a colleague) joins the first
    con.execute("""
        insert into activity
        select a.event_id, a.person_id, a.finess_et, p2.professional_id, a.prestation_code, a.started_at,
               a.duration_min, a.setting, a.partner_id, a.status, a.outside_plan
        from activity a
        join esms e using (finess_et)
        join cat c on c.category = e.category and c.crew > 1
        join pros p1 on p1.finess_et = a.finess_et and p1.professional_id = a.professional_id
        join (select finess_et, count(*) as n from pros group by finess_et) np on np.finess_et = a.finess_et
        join pros p2 on p2.finess_et = a.finess_et and p2.idx = (p1.idx + 1) % np.n
        where a.event_id like 'C%' and np.n > 1
    """)


def _indirect(con, seed: int, first: date, last: date) -> None:
    # indirect work with no person: analysis of practice, coordination with partners (3.x)
    con.execute(f"""
        insert into activity
        select 'I' || substr(md5(p.professional_id || w.week_start || '{seed}'), 1, 14), null, p.finess_et,
               p.professional_id, case when abs(hash(p.professional_id, w.week_start)) % 3 = 0 then '3.1.5.1' else '3.1.4.2' end,
               w.week_start + interval 14 hour, c.indirect, 'structure', null, 'realise', false
        from pros p join esms e using (finess_et) join cat c using (category),
             (select cast(range as date) as week_start from range(date '{first}', date '{last}', interval 7 day)) w
    """)


# a month's rows in one order whatever the engine's: every column, so that the same seed writes the same bytes
ROWS_ORDER = ("started_at, event_id, person_id, professional_id, prestation_code, duration_min, setting, partner_id, status, "
              "outside_plan")


def _write_months(con, folder: Path, config: GeneratorConfig) -> None:
    """One file per month; every messy_every-th a French export (never the last month when it goes to FHIR)."""
    folder.mkdir()
    months = con.execute("select distinct strftime(started_at, '%Y-%m') m from activity order by m").fetchall()
    messy_every = round(1 / config.messy_share) if config.messy_share else 0
    for i, (month,) in enumerate(months):
        path = folder / f"activite_{month}.csv"
        if messy_every and i % messy_every == 0 and not (config.fhir and i == len(months) - 1):
            _write_french_month(con, month, path)
        else:
            _write_plain_month(con, month, path)


def _write_french_month(con, month: str, path: Path) -> None:
    """A month as a French export: `;`, Windows-1252, French headers and labels, DD/MM/YYYY."""
    tmp = path.parent / f".{path.name}.utf8"
    con.execute(f"""
        copy (select event_id as "N° événement", person_id as "Identifiant usager", finess_et as "FINESS",
                     professional_id as "Intervenant", prestation_code || ' - ' || coalesce(c.label, '') as "Code prestation",
                     strftime(started_at, '%d/%m/%Y %H:%M') as "Date début",
                     replace(cast(duration_min as varchar), '.', ',') as "Durée (min)",
                     setting as "Lieu", partner_id as "Partenaire", case status when 'realise' then 'Réalisé'
                     when 'annule' then 'Annulé' else 'Planifié' end as "Statut",
                     case when outside_plan then 'oui' else 'non' end as "Hors projet"
              from activity a left join (select * from read_csv('{codes_csv()}', all_varchar=true)) c
                on c.code = a.prestation_code
              where strftime(started_at, '%Y-%m') = '{month}' order by {ROWS_ORDER})
        to '{tmp}' (header, delimiter ';')
    """)
    transcode(tmp, path, "cp1252")
    tmp.unlink()


def _write_plain_month(con, month: str, path: Path) -> None:
    """A month as the ERP writes it: `,`, UTF-8, ISO dates and times."""
    con.execute(f"""
        copy (select event_id, person_id, finess_et, professional_id, prestation_code,
                     strftime(started_at, '%Y-%m-%dT%H:%M:%S') as started_at,
                     strftime(started_at + to_minutes(duration_min), '%Y-%m-%dT%H:%M:%S') as ended_at,
                     duration_min, setting, partner_id, status, case when outside_plan then 1 else 0 end as outside_plan
              from activity where strftime(started_at, '%Y-%m') = '{month}' order by {ROWS_ORDER})
        to '{path}' (header, delimiter ',')
    """)


def codes_csv() -> str:
    from pipelines.settings import NOMENCLATURES_DIR

    return str(NOMENCLATURES_DIR / "serafin_codes.csv")


