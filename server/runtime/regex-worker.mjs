// Worker thread for user regexes too costly to match inline (server/runtime/regex-guard.ts).
// Plain JavaScript (only re2js is needed), so it starts fast without tsx. Each request finds
// the matches of an already-validated RE2 pattern from `from` on, one after the other as a
// global RegExp's exec would, and answers through the port; the shared Int32Array then wakes
// the main thread, which waits with a hard time limit and terminates this worker on timeout.
import { workerData } from 'node:worker_threads';
import { RE2JS } from 're2js';

/** @type {{ port: import('node:worker_threads').MessagePort, state: Int32Array }} */
const { port, state } = workerData;
const cache = new Map();

port.on('message', (req) => {
  let reply;
  try {
    const key = `${req.flags}/${req.source}`;
    let re = cache.get(key);
    if (!re) {
      re = RE2JS.compile(req.source, req.flags);
      if (cache.size > 100) cache.clear();
      cache.set(key, re);
    }
    const m = re.matcher(req.text);
    const matches = [];
    let from = req.from;
    let complete = true;
    while (from <= req.text.length && m.find(from)) {
      const groups = [];
      for (let g = 0; g <= m.groupCount(); g++) groups.push(m.group(g));
      matches.push({ from, index: m.start(), end: m.end(), groups });
      if (m.end() === m.start()) break; // a zero-length match repeats; the caller stops there
      from = m.end();
      if (matches.length >= req.maxMatches) {
        complete = false;
        break;
      }
    }
    reply = { seq: req.seq, ok: true, matches, complete };
  } catch (err) {
    reply = { seq: req.seq, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
  Atomics.store(state, 1, req.seq);
  Atomics.notify(state, 1);
});

Atomics.store(state, 0, 1);
Atomics.notify(state, 0);
