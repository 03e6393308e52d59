/**
 * Stages of one adapter that may run side by side (`shared`: straight copies, each a single statement on a
 * connection of its own) and work that must run alone (`exclusive`: DDL, or a temp table filled and then merged on the
 * one connection, which a second group would refill in between). An exclusive section waits for the shared ones
 * running and holds back those that come after it, in the order they were asked for.
 */
export class StageLock {
  private running = 0;
  private tail: Promise<void> = Promise.resolve();
  private readonly idle: (() => void)[] = [];

  async shared<T>(work: () => Promise<T>): Promise<T> {
    // Until no exclusive section was queued while waiting for the last one.
    for (let tail = this.tail; ; tail = this.tail) {
      await tail;
      if (tail === this.tail) break;
    }
    this.running += 1;
    try {
      return await work();
    } finally {
      this.running -= 1;
      if (this.running === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      while (this.running > 0) await new Promise<void>((wake) => this.idle.push(wake));
      return work();
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
