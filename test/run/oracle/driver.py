# Runs oracle fixture DAGs in a real Airflow 2.8.1 with `dag.test()` (what `airflow dags test`
# does) and prints {dag_id: {date: {task_id or task_id[map_index]: state}}} as JSON on the last line.
# Usage: python3 driver.py DAG_FOLDER DAG_ID=DATE[,DATE...] ...
import json
import logging
import sys

import pendulum
from airflow.models import DagBag

logging.disable(logging.CRITICAL)
folder, *wanted = sys.argv[1:]
bag = DagBag(folder, include_examples=False)
if bag.import_errors:
    print(json.dumps({"import_errors": {k: str(v) for k, v in bag.import_errors.items()}}))
    sys.exit(1)
out = {}
for item in wanted:
    dag_id, dates = item.split("=")
    dag = bag.get_dag(dag_id)
    out[dag_id] = {}
    for date in dates.split(","):
        dr = dag.test(execution_date=pendulum.parse(date))
        states = {}
        for ti in dr.get_task_instances():
            key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
            states[key] = str(ti.state.value if hasattr(ti.state, "value") else ti.state)
        out[dag_id][date] = states
print(json.dumps(out))
