import type { Clock } from './clock.ts';
import { VirtualClock } from './clock.ts';

/**
 * Time as the task instances of one run see it through `ctx.sleep`. On a virtual clock, a wait
 * does not pass while other task instances of the run are busy (they may be what it waits for,
 * e.g. a sensor polling for a file another task writes): when every running task instance is
 * waiting, the clock jumps to the earliest wake-up time and wakes the ones due. On a real clock
 * a wait is a real wait.
 */
export class RunTime {
  private active = 0;
  private readonly waiting: { wake: number; resolve: () => void }[] = [];

  constructor(private readonly clock: Clock) {}

  /** A task instance started running. */
  started(): void {
    this.active++;
  }

  /** A task instance stopped running (any final state). */
  ended(): void {
    this.active--;
    this.advance();
  }

  /** Wait `ms` on the run's clock, as described on the class. */
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (!(this.clock instanceof VirtualClock)) return this.clock.sleep(ms, signal);
    signal?.throwIfAborted();
    const wake = this.clock.now().getTime() + Math.max(0, ms);
    await new Promise<void>((resolve) => {
      this.waiting.push({ wake, resolve });
      // Let the other task instances' pending work run first (they may be about to end).
      setImmediate(() => this.advance());
    });
  }

  private advance(): void {
    if (this.waiting.length === 0 || this.waiting.length < this.active) return;
    const clock = this.clock as VirtualClock;
    const next = Math.min(...this.waiting.map((w) => w.wake));
    if (next > clock.now().getTime()) clock.set(new Date(next));
    const now = clock.now().getTime();
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (this.waiting[i]!.wake <= now) this.waiting.splice(i, 1)[0]!.resolve();
    }
  }
}
