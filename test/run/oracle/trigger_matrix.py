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

    # A skip and a failure that the scheduler sees in different loops: the first one seen decides.
    deep_a = PythonOperator(task_id="deep_a", python_callable=ok)
    deep_b = PythonOperator(task_id="deep_b", python_callable=fail)
    deep_a >> deep_b
    early_skip = PythonOperator(task_id="early_skip", python_callable=skip)
    wave_skip_first = PythonOperator(task_id="wave_skip_first", python_callable=ok)
    [early_skip, deep_b] >> wave_skip_first
    deep_c = PythonOperator(task_id="deep_c", python_callable=ok)
    deep_d = PythonOperator(task_id="deep_d", python_callable=skip)
    deep_c >> deep_d
    early_fail = PythonOperator(task_id="early_fail", python_callable=fail)
    wave_fail_first = PythonOperator(task_id="wave_fail_first", python_callable=ok)
    [early_fail, deep_d] >> wave_fail_first
    [wave_skip_first, wave_fail_first] >> PythonOperator(task_id="wave_none_failed", python_callable=ok, trigger_rule="none_failed")
    [wave_skip_first, deep_a] >> PythonOperator(task_id="wave_one_success", python_callable=ok, trigger_rule="one_success")
