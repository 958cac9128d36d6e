# Oracle fixture: branches (operator and @task.branch), an empty branch into a join, joins with
# different trigger rules, a branch into a task group, and a branch decided by ds. Twin: branching.ts.
import pendulum
from airflow import DAG
from airflow.decorators import task
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import BranchPythonOperator
from airflow.utils.task_group import TaskGroup


def pick(ds):
    return "even_day" if int(ds[-2:]) % 2 == 0 else "odd_day"


with DAG("branching", schedule="@daily", start_date=pendulum.datetime(2021, 2, 1, tz="UTC"), catchup=False) as dag:
    by_day = BranchPythonOperator(task_id="by_day", python_callable=pick)
    even_day = EmptyOperator(task_id="even_day")
    odd_day = EmptyOperator(task_id="odd_day")
    after_even = EmptyOperator(task_id="after_even")
    join_default = EmptyOperator(task_id="join_default")
    join_min_one = EmptyOperator(task_id="join_min_one", trigger_rule="none_failed_min_one_success")
    join_one_success = EmptyOperator(task_id="join_one_success", trigger_rule="one_success")
    by_day >> [even_day, odd_day]
    even_day >> after_even
    [after_even, odd_day] >> join_default
    [after_even, odd_day] >> join_min_one
    [after_even, odd_day] >> join_one_success

    @task.branch(task_id="to_empty")
    def to_empty():
        return ["task1"]

    empty = to_empty()
    task1 = EmptyOperator(task_id="task1")
    join = EmptyOperator(task_id="join")
    empty >> task1 >> join
    empty >> join

    @task.branch(task_id="none_chosen")
    def none_chosen():
        return None

    nc = none_chosen()
    nc >> [EmptyOperator(task_id="nc_a"), EmptyOperator(task_id="nc_b")]
    nc_all_skipped = EmptyOperator(task_id="nc_all_skipped", trigger_rule="all_skipped")
    nc_none_skipped = EmptyOperator(task_id="nc_none_skipped", trigger_rule="none_skipped")
    dag.get_task("nc_a") >> [nc_all_skipped, nc_none_skipped]

    to_group = BranchPythonOperator(task_id="to_group", python_callable=lambda: "grp.first")
    with TaskGroup("grp") as grp:
        first = EmptyOperator(task_id="first")
        second = EmptyOperator(task_id="second")
        first >> second
    with TaskGroup("other") as other:
        o1 = EmptyOperator(task_id="o1")
        o2 = EmptyOperator(task_id="o2")
        o1 >> o2
    to_group >> [grp, other]
    after_groups = EmptyOperator(task_id="after_groups", trigger_rule="none_failed_min_one_success")
    [grp, other] >> after_groups
