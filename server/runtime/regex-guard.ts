/**
 * User regexes on the server: RE2 (shared/regex.ts) with a hard time limit.
 *
 * RE2 never backtracks, but its matching time is (text length × active program states), and
 * a pattern such as `[\s\S]{1000}` repeated ten times has ~10^4 states: 10 KB of text then
 * takes seconds. So a match whose worst case (program size × characters) is small runs
 * inline (the normal path: microseconds); a bigger one runs in a worker thread while this
 * thread waits for it with a hard limit, and a worker that overruns is terminated and the
 * match fails with a clear error. The wait is synchronous (JSONata's regex calls are), so a
 * pathological match holds the event loop for at most `timeoutMs`.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { LinearRegExp, UserRegexError } from '../../shared/regex';

export const REGEX_LIMITS = {
  /** Program size × characters up to which a match runs inline (worst case ~50 ms here). */
  inlineBudget: 2_000_000,
  /** Hard wall-clock limit of one out-of-line match, in ms. */
  timeoutMs: 1_000,
  /** How long the worker may take to start, in ms. */
  startTimeoutMs: 10_000,
  /** Matches found per out-of-line request (later ones are fetched by further requests). */
  maxMatches: 10_000,
};

interface WorkerMatch {
  from: number;
  index: number;
  end: number;
  groups: Array<string | null>;
}
type WorkerReply =
  { seq: number; ok: true; matches: WorkerMatch[]; complete: boolean } | { seq: number; ok: false; message: string };

class SyncRegexWorker {
  /** Out-of-line matches requested so far (tests and metrics). */
  requests = 0;
  private worker?: Worker;
  private port?: MessagePort;
  private state?: Int32Array;
  private seq = 0;

  run(
    source: string,
    flags: number,
    text: string,
    from: number,
    maxMatches: number,
  ): { matches: WorkerMatch[]; complete: boolean } {
    if (!this.worker) this.start();
    const state = this.state!;
    const port = this.port!;
    if (Atomics.load(state, 0) === 0 && Atomics.wait(state, 0, 0, REGEX_LIMITS.startTimeoutMs) === 'timed-out') {
      this.stop();
      throw new UserRegexError('the regex worker did not start in time');
    }
    this.requests++;
    const seq = ++this.seq;
    port.postMessage({ seq, source, flags, text, from, maxMatches });
    const deadline = performance.now() + REGEX_LIMITS.timeoutMs;
    for (;;) {
      const seen = Atomics.load(state, 1);
      if (seen === seq) break;
      const left = deadline - performance.now();
      if (left <= 0) {
        this.stop();
        throw new UserRegexError(
          `regular expression stopped after ${REGEX_LIMITS.timeoutMs} ms on a ${text.length}-character text (simplify the pattern or shorten the text)`,
        );
      }
      Atomics.wait(state, 1, seen, left);
    }
    for (;;) {
      const got = receiveMessageOnPort(port) as { message: WorkerReply } | undefined;
      if (!got) throw new UserRegexError('the regex worker answered nothing');
      const reply = got.message;
      if (reply.seq !== seq) continue;
      if (!reply.ok) throw new UserRegexError(reply.message);
      return reply;
    }
  }

  private start(): void {
    const state = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL('./regex-worker.mjs', import.meta.url), {
      workerData: { port: port2, state },
      transferList: [port2],
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    worker.unref();
    const forget = (): void => {
      if (this.worker === worker) this.clear();
    };
    worker.on('error', forget);
    worker.on('exit', forget);
    this.worker = worker;
    this.port = port1;
    this.state = state;
  }

  private stop(): void {
    const worker = this.worker;
    this.port?.close();
    this.clear();
    void worker?.terminate();
  }

  private clear(): void {
    this.worker = undefined;
    this.port = undefined;
    this.state = undefined;
  }
}

const regexWorker = new SyncRegexWorker();

/** How many matches went to the worker so far (for tests). */
export function outOfLineRegexRequests(): number {
  return regexWorker.requests;
}

/**
 * RE2 with a bounded cost: JSONata's `RegexEngine` on the server, and the validator's regex
 * rules. Throws UserRegexError when a match overruns its time limit.
 */
export class GuardedRegExp extends LinearRegExp {
  /** Matches fetched from the worker for one text, by the position each search started at. */
  private fetched?: { text: string; byFrom: Map<number, WorkerMatch | null> };

  override exec(text: string): RegExpExecArray | null {
    return this.find(String(text), REGEX_LIMITS.maxMatches);
  }

  /** Whether the pattern matches anywhere in `text` (fetches one match at most). */
  override test(text: string): boolean {
    const str = String(text);
    this.lastIndex = 0;
    // Inline, RE2's DFA answers yes/no without tracking positions (several times faster).
    if (this.re.programSize() * str.length <= REGEX_LIMITS.inlineBudget) return this.re.test(str);
    return this.find(str, 1) !== null;
  }

  private find(str: string, maxMatches: number): RegExpExecArray | null {
    const from = this.lastIndex;
    if (from > str.length || this.re.programSize() * (str.length - from) <= REGEX_LIMITS.inlineBudget) {
      return super.exec(str);
    }
    let hit = this.fetched?.text === str ? this.fetched.byFrom.get(from) : undefined;
    if (hit === undefined) {
      const { matches, complete } = regexWorker.run(this.re.pattern(), this.re.flags(), str, from, maxMatches);
      const byFrom = new Map<number, WorkerMatch | null>();
      for (const m of matches) byFrom.set(m.from, m);
      const last = matches.at(-1);
      if (complete && (!last || last.end > last.index)) byFrom.set(last ? last.end : from, null);
      this.fetched = { text: str, byFrom };
      hit = byFrom.get(from) ?? null;
    }
    if (hit === null) {
      this.lastIndex = 0;
      return null;
    }
    const parts = hit.groups.map((g) => g ?? undefined);
    this.lastIndex = hit.end;
    return Object.assign(parts, { index: hit.index, input: str }) as unknown as RegExpExecArray;
  }
}

/** Whether a user pattern matches anywhere in `text`, with the cost bound of GuardedRegExp. */
export function guardedRegexTest(pattern: string, flags: string, text: string): boolean {
  return new GuardedRegExp(pattern, flags).test(text);
}
