# Oracle fixture: short-circuits that skip everything downstream (the default), or only their
# direct downstream tasks (ignore_downstream_trigger_rules=False), through a task group. Twin: short_circuit.ts.
import pendulum
from airflow import DAG
from airflow.decorators import task
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import ShortCircuitOperator
from airflow.utils.task_group import TaskGroup

with DAG("short_circuit", schedule="@daily", start_date=pendulum.datetime(2021, 2, 1, tz="UTC"), catchup=False) as dag:
    passes = ShortCircuitOperator(task_id="passes", python_callable=lambda: [1])
    passes >> EmptyOperator(task_id="after_pass")

    stops = ShortCircuitOperator(task_id="stops", python_callable=lambda: [])
    with TaskGroup("g") as g:
        a = EmptyOperator(task_id="a")
        b = EmptyOperator(task_id="b", trigger_rule="all_done")
        a >> b
    stops >> g >> EmptyOperator(task_id="stops_end", trigger_rule="all_done")

    @task.short_circuit(task_id="soft_stop", ignore_downstream_trigger_rules=False)
    def soft_stop():
        return 0

    soft = soft_stop()
    with TaskGroup("h") as h:
        c = EmptyOperator(task_id="c")
        d = EmptyOperator(task_id="d", trigger_rule="all_done")
        e = EmptyOperator(task_id="e")
        c >> d >> e
    soft >> h
    other = EmptyOperator(task_id="other")
    [h, other] >> EmptyOperator(task_id="soft_end", trigger_rule="none_failed")

    @task.short_circuit(task_id="by_ds")
    def by_ds(ds=None):
        return ds.endswith("5")

    by_ds() >> EmptyOperator(task_id="on_fifth")
