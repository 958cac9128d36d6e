# Oracle fixture: every trigger rule against upstream pairs that succeeded, failed, were skipped
# or are upstream_failed. Its twin is trigger_matrix.ts; test/run/oracle.test.ts compares them.
import pendulum
from airflow import DAG
from airflow.exceptions import AirflowSkipException
from airflow.operators.python import PythonOperator

RULES = ["all_success", "all_failed", "all_done", "all_skipped", "one_success", "one_failed",
         "one_done", "none_failed", "none_failed_min_one_success", "none_skipped", "always"]
COMBOS = [("ok", "ok"), ("ok", "fail"), ("ok", "skip"), ("fail", "fail"), ("fail", "skip"),
          ("skip", "skip"), ("uf", "ok"), ("uf", "skip"), ("uf", "uf"), ("ok", "uf")]


def ok():
    return None


def fail():
    raise ValueError("boom")


def skip():
    raise AirflowSkipException("skip me")


with DAG("trigger_matrix", schedule="@daily", start_date=pendulum.datetime(2021, 2, 1, tz="UTC"), catchup=False) as dag:
    root_fail = PythonOperator(task_id="root_fail", python_callable=fail)
    producers = {}
    for kind in ("ok", "fail", "skip", "uf"):
        for n in (1, 2):
            if kind == "uf":
                producers[f"uf{n}"] = PythonOperator(task_id=f"p_uf{n}", python_callable=ok)
                root_fail >> producers[f"uf{n}"]
            else:
                producers[f"{kind}{n}"] = PythonOperator(task_id=f"p_{kind}{n}", python_callable={"ok": ok, "fail": fail, "skip": skip}[kind])
    for rule in RULES:
        for a, b in COMBOS:
            t = PythonOperator(task_id=f"{rule}__{a}_{b}", python_callable=ok, trigger_rule=rule)
            [producers[f"{a}1"], producers[f"{b}2"]] >> t
