/**
 * Stages of one adapter that may run side by side (`shared`: straight copies, each a single statement on a
 * connection of its own) and work that must run alone (`exclusive`: DDL, or a temp table filled and then merged on the
 * one connection, which a second group would refill in between). An exclusive section waits for the shared ones
 * running; shared ones asked for while an exclusive one waits or runs start after it; exclusive ones run in order.
 */
export class StageLock {
  private running = 0;
  /** Exclusive sections queued or running. */
  private exclusives = 0;
  private tail: Promise<void> = Promise.resolve();
  private readonly idle: (() => void)[] = [];

  async shared<T>(work: () => Promise<T>): Promise<T> {
    while (this.exclusives > 0) await this.tail;
    this.running += 1;
    try {
      return await work();
    } finally {
      this.running -= 1;
      if (this.running === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.exclusives += 1;
    const run = this.tail.then(async () => {
      try {
        while (this.running > 0) await new Promise<void>((wake) => this.idle.push(wake));
        return await work();
      } finally {
        this.exclusives -= 1;
      }
    });
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
