# Oracle fixture: dynamic task mapping over a literal and over an upstream's XCom, partial +
# expand with two keys (cross product), a failing and a skipping map index, an empty expansion,
# and reduces over mapped results. Twin: mapping.ts.
import pendulum
from airflow import DAG
from airflow.decorators import task
from airflow.exceptions import AirflowSkipException
from airflow.operators.empty import EmptyOperator

with DAG("mapping", schedule="@daily", start_date=pendulum.datetime(2021, 2, 1, tz="UTC"), catchup=False) as dag:

    @task
    def add_one(x):
        return x + 1

    @task
    def total(values):
        return sum(values)

    total.override(task_id="sum_literal")(add_one.override(task_id="add_literal").expand(x=[1, 2, 3]))

    @task
    def make_list():
        return [10, 20]

    @task
    def mul(x, y):
        return x * y

    total.override(task_id="sum_product")(mul.partial(y=2).expand(x=make_list()) )
    mul.override(task_id="cross").expand(x=[1, 2], y=[3, 4, 5])

    @task
    def picky(x):
        if x == 2:
            raise ValueError("two")
        if x == 3:
            raise AirflowSkipException("three")
        return x

    picked = picky.expand(x=[1, 2, 3, 4])
    picked >> EmptyOperator(task_id="after_picky")
    picked >> EmptyOperator(task_id="after_picky_done", trigger_rule="all_done")
    picked >> EmptyOperator(task_id="after_picky_one_failed", trigger_rule="one_failed")

    @task
    def nothing():
        return []

    empty = add_one.override(task_id="add_empty").expand(x=nothing())
    empty >> EmptyOperator(task_id="after_empty")
    empty >> EmptyOperator(task_id="after_empty_none_failed", trigger_rule="none_failed")

    @task.branch
    def choose():
        return "mapped_chosen"

    chooser = choose()
    chooser >> [add_one.override(task_id="mapped_chosen").expand(x=[1, 2]), add_one.override(task_id="mapped_not").expand(x=[1, 2])]

    @task
    def broken_list():
        raise ValueError("no list")

    failed_source = add_one.override(task_id="mapped_after_failure").expand(x=broken_list())
    failed_source >> EmptyOperator(task_id="after_mapped_failure", trigger_rule="all_done")
