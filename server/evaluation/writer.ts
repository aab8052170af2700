/**
 * Write-behind for finished rows: results are grouped into one INSERT per batch
 * (at most `maxBatch` rows or `maxDelayMs` old), which cuts per-row storage cost
 * several-fold. A row counts as done only once its batch is stored, so a crash loses at
 * most the last few milliseconds of work (those rows simply run again on resume).
 */
import type { Trace } from '../../shared';
import type { RowResult } from '../../shared/api/evaluation';
import type { EvaluationStore } from './store';

export class ResultWriter {
  private pending: Array<{ result: RowResult; trace?: Trace; settle?: (e?: Error) => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private error: Error | undefined;

  constructor(
    private readonly store: EvaluationStore,
    private readonly evaluationId: string,
    private readonly onStored: (rows: RowResult[]) => void,
    private readonly opts: { maxBatch?: number; maxDelayMs?: number } = {},
  ) {}

  /** Throws the first storage error, so the run can stop. */
  add(result: RowResult, trace?: Trace): void {
    if (this.error) throw this.error;
    this.pending.push({ result, trace });
    if (this.pending.length >= (this.opts.maxBatch ?? 64)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.maxDelayMs ?? 20);
  }

  /**
   * Add a row and resolve once its batch is stored (rejects with the storage error). The
   * BullMQ worker completes a job only then, so a row's job never ends before its row is stored.
   */
  put(result: RowResult, trace?: Trace): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ result, trace, settle: (e) => (e ? reject(e) : resolve()) });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.pending.length >= (this.opts.maxBatch ?? 64)) void this.flush().catch(() => undefined);
    else this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.opts.maxDelayMs ?? 20);
  }

  /** Store everything added so far. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) {
      this.chain = this.chain.then(async () => {
        try {
          await this.store.putResults(this.evaluationId, batch);
          this.onStored(batch.map((b) => b.result));
          for (const b of batch) b.settle?.();
        } catch (e) {
          this.error ??= e as Error;
          for (const b of batch) b.settle?.(e as Error);
        }
      });
    }
    return this.chain.then(() => {
      if (this.error) throw this.error;
    });
  }
}
