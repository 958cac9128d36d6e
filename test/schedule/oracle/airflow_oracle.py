"""Airflow 2's own answers for dagbox's schedule oracle cases (test/schedule/oracle.test.ts).

Reads {"cases": [...]} as JSON on stdin and writes {"results": [...]} on stdout, one result per
case, computed by Airflow's code: DAG(...).next_dagrun_info for scheduled runs, the same
iter_dagrun_infos_between that `airflow dags backfill` uses, the timetable's
infer_manual_data_interval for `airflow dags test`, and dag.previous_schedule for prev_ds.
Run it with the Airflow oracle's Python (see /work/shared/airflow-oracle/README.md); it needs no
metadata database. *now* is fixed per case by replacing pendulum's clock in Airflow's timetable
module, so the answers never depend on when the suite runs.
"""

from __future__ import annotations

import datetime
import json
import re
import sys

import pendulum

import airflow.timetables.interval as interval_module
from airflow.models.dag import DAG
from airflow.utils import timezone


def main() -> None:
    cases = json.load(sys.stdin)["cases"]
    results = []
    for case in cases:
        try:
            results.append({"id": case["id"], **run_case(case)})
        except Exception as error:  # reported per case; the test shows it
            results.append({"id": case["id"], "error": f"{type(error).__name__}: {error}"})
    json.dump({"results": results}, sys.stdout)


def run_case(case: dict) -> dict:
    set_now(case.get("now"))
    dag = make_dag(case["dag"])
    kind = case["kind"]
    if kind == "due":
        return {"intervals": due(dag, parse_utc(case["now"]))}
    if kind == "backfill":
        return backfill(dag, case["start"], case["end"])
    if kind == "manual":
        run_after = timezone.parse(case["date"])
        interval = dag.timetable.infer_manual_data_interval(run_after=run_after)
        return {"intervals": [pair(interval.start, interval.end)], "logicalDate": iso(run_after)}
    if kind == "prev":
        prev = dag.previous_schedule(parse_utc(case["date"]))
        return {"prev": None if prev is None else iso(prev)}
    raise ValueError(f"unknown case kind {kind!r}")


def due(dag: DAG, now: pendulum.DateTime) -> list:
    """What the scheduler creates by `now`: next_dagrun_info after the last run, while due."""
    out = []
    last = None
    info = dag.next_dagrun_info(last, restricted=True)
    while info is not None and info.run_after <= now and len(out) < 2000:
        out.append(pair(info.data_interval.start, info.data_interval.end))
        last = info.data_interval
        info = dag.next_dagrun_info(last, restricted=True)
    return out


def backfill(dag: DAG, start: str, end: str) -> dict:
    """`airflow dags backfill -s START -e END`: its run dates, and whether its tasks could run."""
    infos = list(dag.iter_dagrun_infos_between(timezone.parse(start), timezone.parse(end)))
    intervals = [pair(i.data_interval.start, i.data_interval.end) for i in infos]
    # RunnableExecDateDep fails every task of a run whose logical date is after the DAG's
    # end_date, so such a backfill never finishes (BackfillJobRunner reports a deadlock).
    deadlock = dag.end_date is not None and any(i.logical_date > dag.end_date for i in infos)
    return {"intervals": intervals, "deadlock": deadlock}


def make_dag(spec: dict) -> DAG:
    tz = pendulum.timezone(spec.get("timezone", "UTC"))
    kwargs = {
        "dag_id": "oracle",
        "schedule": schedule_of(spec["schedule"]),
        "start_date": wall(spec["startDate"], tz),
        "catchup": spec.get("catchup", True),
    }
    if spec.get("endDate"):
        kwargs["end_date"] = wall(spec["endDate"], tz)
    return DAG(**kwargs)


def schedule_of(value):
    """dagbox's schedule forms in Airflow's: a cron or preset string, a timedelta, or None."""
    if value is None:
        return None
    if isinstance(value, dict):
        return duration(value["every"])
    if re.fullmatch(r"(\d+(\.\d+)?\s*(ms|s|m|h|d|w)\s*)+", value.strip(), re.I):
        return duration(value)
    return value


def duration(text) -> datetime.timedelta:
    if isinstance(text, (int, float)):
        return datetime.timedelta(milliseconds=text)
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    seconds = sum(float(n) * units[u.lower()] for n, u in re.findall(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)", text, re.I))
    return datetime.timedelta(seconds=seconds)


def wall(text: str, tz) -> pendulum.DateTime:
    """A DAG file's `pendulum.datetime(y, m, d, h, mi, tz=...)` for a wall time in the DAG's zone."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?", text)
    if not m:
        raise ValueError(f"expected YYYY-MM-DD[THH:MM], found {text!r}")
    y, mo, d, h, mi = (int(x) if x else 0 for x in m.groups())
    return pendulum.datetime(y, mo, d, h, mi, tz=tz)


def parse_utc(text: str) -> pendulum.DateTime:
    return pendulum.parse(text).in_timezone("UTC")


class _FixedClock(pendulum.DateTime):
    now_value = None

    @classmethod
    def utcnow(cls):
        return cls.now_value if cls.now_value is not None else pendulum.DateTime.utcnow()


def set_now(text: str | None) -> None:
    _FixedClock.now_value = None if text is None else parse_utc(text)
    interval_module.DateTime = _FixedClock


def pair(start, end) -> list:
    return [iso(start), iso(end)]


def iso(d) -> str:
    return pendulum.instance(d).in_timezone("UTC").format("YYYY-MM-DDTHH:mm:ss") + "Z"


if __name__ == "__main__":
    main()
