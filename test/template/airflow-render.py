"""Render each template of airflow-cases.jsonl with Airflow's own Jinja environment and context types.

Reads JSON lines [template, expected] on stdin, prints JSON lines [template, rendered]. Run with the
Airflow 2.8.1 oracle's Python (see ../shared/airflow-oracle/README.md); the values mirror
SCOPE in airflow-oracle.test.ts.
"""
import json
import sys
from datetime import timedelta

import jinja2
import pendulum
from airflow import macros
from airflow.templates import SandboxedEnvironment

env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"], cache_size=0)
logical = pendulum.datetime(2021, 2, 5, tz="UTC")
ds = logical.strftime("%Y-%m-%d")
ts = logical.isoformat()
context = dict(
    ds=ds,
    ds_nodash=ds.replace("-", ""),
    ts=ts,
    ts_nodash=logical.strftime("%Y%m%dT%H%M%S"),
    ts_nodash_with_tz=ts.replace("-", "").replace(":", ""),
    logical_date=logical,
    execution_date=logical,
    data_interval_start=logical,
    data_interval_end=logical.add(days=1),
    prev_ds="2021-02-04",
    next_ds="2021-02-06",
    yesterday_ds=(logical - timedelta(1)).strftime("%Y-%m-%d"),
    tomorrow_ds=(logical + timedelta(1)).strftime("%Y-%m-%d"),
    params={"table": "nps", "regions": ["seoul", "busan"], "n": "42", "cfg": {"b": 1, "a": "x<y"}},
    macros=macros,
    prev_data_interval_start_success=None,
)
for line in sys.stdin:
    if not line.strip():
        continue
    template = json.loads(line)[0]
    try:
        out = env.from_string(template).render(**context)
    except Exception as e:  # noqa: BLE001 - the error is the answer
        out = f"ERROR {type(e).__name__}: {e}"
    print(json.dumps([template, out]))
