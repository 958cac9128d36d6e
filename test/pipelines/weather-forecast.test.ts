import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPipelineHarness, states, type PipelineHarness } from './harness.ts';

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness({ open_weather_api_key: 'test-api-key-123' });
});
afterAll(() => h?.close());
beforeEach(() => h.reset());

const table = () => h.pg('SELECT date, temp, min_temp, max_temp, created_date FROM raw_data.weather_forecast ORDER BY date');

/**
 * Each run's fixture forecasts its ds and the two days after; for every date the newest forecast
 * (the latest created_date) must win. Worked out by hand from fixtures/http/openweather/.
 */
const expected = [
  { date: '2021-02-05', temp: '1.5', min_temp: '-2.75', max_temp: '5', created_date: '2021-02-05 00:00:00' },
  { date: '2021-02-06', temp: '2.25', min_temp: '-2', max_temp: '5.75', created_date: '2021-02-06 00:00:00' },
  { date: '2021-02-07', temp: '3', min_temp: '-1.25', max_temp: '6.5', created_date: '2021-02-07 00:00:00' },
  { date: '2021-02-08', temp: '3.25', min_temp: '-1', max_temp: '6.75', created_date: '2021-02-07 00:00:00' },
  { date: '2021-02-09', temp: '3.5', min_temp: '-0.75', max_temp: '7', created_date: '2021-02-07 00:00:00' },
];

describe('pipeline weather_forecast (HTTP fixture -> S3 -> ROW_NUMBER upsert in Redshift SQL)', () => {
  it('keeps the newest forecast per date over a three-day backfill', async () => {
    const runs = await h.backfill('weather_forecast', '2021-02-05', '2021-02-08');
    expect(runs.map((r) => r.state)).toEqual(['success', 'success', 'success']);
    expect(states(runs[0]!)).toEqual({ extract: 'success', transform: 'success', load: 'success', check_columns: 'success', check_table: 'success' });
    expect(await table()).toEqual(expected);
  });

  it('is idempotent and order-independent: backwards, then one day again, gives the same table', async () => {
    await h.backfill('weather_forecast', '2021-02-05', '2021-02-08', { reverse: true });
    await h.backfill('weather_forecast', '2021-02-06', '2021-02-07');
    expect(await table()).toEqual(expected);
  });

  it('masks the API key (a Variable named *api_key) in the logs, and reads no network', async () => {
    const [run] = await h.backfill('weather_forecast', '2021-02-05', '2021-02-06');
    const log = run!.tasks.find((t) => t.taskId === 'extract')!.log.join('\n');
    expect(log).toContain('appid=***');
    expect(log).not.toContain('test-api-key-123');
    expect(log).toContain('fixture openweather/onecall-2021-02-05.json');
  });

  it('a day with no recorded response fails with the URL and the near misses', async () => {
    const extract = h.dag('weather_forecast').tasks.get('extract')!.operator!;
    const run = await h.runOperator(extract, { ds: '2021-02-10' });
    expect(run.state).toBe('failed');
    expect(run.error).toContain('no HTTP fixture answers GET https://api.openweathermap.org/data/2.5/onecall?lat=37.5665');
    expect(run.error).toContain('date is "2021-02-10", the fixture has "2021-02-05"');
    expect(await table()).toEqual([]);
  });
});
