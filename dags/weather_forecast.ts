import { columnCheck, Dag, http, sql, tableCheck, writeCsvToS3, type TaskContext } from 'dagbox';

/**
 * The course's weather pipeline: the OpenWeather "onecall" API (answered from fixtures/http/)
 * gives 3 days of forecasts; each run writes them to S3 and upserts them into
 * raw_data.weather_forecast with the course's pattern written as Redshift SQL: a #temp staging
 * table holding the new rows and the current ones, then one row per date by
 * ROW_NUMBER() OVER (PARTITION BY date ORDER BY created_date DESC), swapped in within one
 * transaction. created_date is the run's logical date, so re-running a day changes nothing.
 * endDate: the recorded API responses in fixtures/http/openweather/ cover 2021-02-05 to 2021-02-08.
 */
const dag = new Dag({
  id: 'weather_forecast',
  description: 'OpenWeather daily forecasts -> S3 -> raw_data.weather_forecast, upserted with ROW_NUMBER',
  owner: 'data-eng',
  schedule: '@daily',
  startDate: '2021-02-05',
  endDate: '2021-02-08',
  catchup: true,
  maxActiveRuns: 1,
  tags: ['course', 'upsert', 'api'],
  inputs: ['https://api.openweathermap.org/data/2.5/onecall'],
  outputs: ['s3://_/weather_forecast/', 'raw_data.weather_forecast'],
  defaultArgs: { retries: 1, retryDelay: '5m' },
});

interface Forecast {
  dt: number;
  temp: { day: number; min: number; max: number };
}

const extract = dag.task(
  'extract',
  http({
    url:
      'https://api.openweathermap.org/data/2.5/onecall?lat=37.5665&lon=126.978&exclude=current,minutely,hourly,alerts' +
      "&units=metric&date={{ ds }}&appid={{ var.value.get('open_weather_api_key', 'local-fixture-key') }}",
  }),
);

const transform = dag.task('transform', async (ctx: TaskContext) => {
  const { daily } = ctx.xcom.pull('extract') as { daily: Forecast[] };
  const createdDate = ctx.logicalDate.toISOString().slice(0, 19).replace('T', ' ');
  const rows = daily.map((d) => [new Date(d.dt * 1000).toISOString().slice(0, 10), d.temp.day, d.temp.min, d.temp.max, createdDate]);
  const written = await writeCsvToS3(ctx, { key: `weather_forecast/${ctx.ds}.csv`, columns: ['date', 'temp', 'min_temp', 'max_temp', 'created_date'], rows });
  const dates = rows.map((r) => r[0] as string).sort();
  return { ...written, firstDay: dates[0], lastDay: dates[dates.length - 1] };
});

const load = dag.task(
  'load',
  sql({
    connId: 'redshift',
    outputs: ['raw_data.weather_forecast'],
    sql: `
      CREATE TABLE #weather_stage (LIKE raw_data.weather_forecast);
      COPY #weather_stage FROM 's3://_/weather_forecast/{{ ds }}.csv'
        IAM_ROLE 'arn:aws:iam::123456789012:role/dagbox-local' FORMAT AS CSV IGNOREHEADER 1;
      INSERT INTO #weather_stage SELECT * FROM raw_data.weather_forecast;
      DELETE FROM raw_data.weather_forecast;
      INSERT INTO raw_data.weather_forecast
        SELECT date, temp, min_temp, max_temp, created_date
        FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY date ORDER BY created_date DESC) AS seq FROM #weather_stage) AS ranked
        WHERE seq = 1;
      DROP TABLE #weather_stage;
    `,
  }),
);

const checkColumns = dag.task(
  'check_columns',
  columnCheck({
    connId: 'redshift',
    table: 'raw_data.weather_forecast',
    columnMapping: {
      date: { null_check: { equal_to: 0 }, unique_check: { equal_to: 0 } },
      temp: { null_check: { equal_to: 0 }, min: { geq_to: -40 }, max: { leq_to: 45 } },
    },
  }),
);

const checkTable = dag.task(
  'check_table',
  tableCheck({
    connId: 'redshift',
    table: 'raw_data.weather_forecast',
    checks: {
      min_below_max: { checkStatement: 'min_temp <= max_temp' },
      // Whichever run's forecast won (re-runs and backwards backfills included), every forecast day is there once.
      forecast_days_loaded: { checkStatement: 'COUNT(*) = :forecast_days', partitionClause: 'date BETWEEN :first_day AND :last_day' },
    },
    parameters: (ctx) => {
      const t = ctx.xcom.pull('transform') as { rows: number; firstDay: string; lastDay: string };
      return { forecast_days: t.rows, first_day: t.firstDay, last_day: t.lastDay };
    },
  }),
);

extract.to(transform).to(load).to([checkColumns, checkTable]);

export default dag;
