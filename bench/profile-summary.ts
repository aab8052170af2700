/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof`, e.g. bench/endpoint/run.ts --cpu-prof DIR):
 * self time by function and by module (npm package or source file), and total (inclusive)
 * time of the functions that match a filter, to see where a request's CPU goes.
 *
 *   npx tsx bench/profile-summary.ts FILE.cpuprofile [--top 40] [--inclusive REGEX] [--per N] [--from S] [--to S]
 *
 * `--per N` divides every time by N (e.g. the requests served) to print µs per request.
 * `--from S` / `--to S` keep only the samples between S seconds after the profile started
 * (leave out start-up: module loading and compilation); a timeline of busy ms per second
 * is printed first to choose them.
 */
import fs from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? (args[i + 1] as string) : dflt;
};
const file = args.find((a) => a.endsWith('.cpuprofile'));
if (!file) {
  process.stderr.write('usage: profile-summary.ts FILE.cpuprofile [--top 40] [--inclusive REGEX] [--per N]\n');
  process.exit(2);
}
const TOP = Number(arg('--top', '40'));
const PER = Number(arg('--per', '0'));
const INCLUSIVE = arg('--inclusive', '');
const FROM = Number(arg('--from', '0')) * 1e6;
const TO = Number(arg('--to', 'Infinity')) * 1e6;

// Piped into `head`: stop quietly when the reader goes away.
process.stdout.on('error', () => process.exit(0));

const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** Self time per node id (µs): each sample's delta belongs to the node sampled. */
const self = new Map<number, number>();
const busyPerSecond: number[] = [];
let t = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  t += dt;
  const idle = byId.get(id)?.callFrame.functionName === '(idle)';
  const sec = Math.floor(t / 1e6);
  if (!idle) busyPerSecond[sec] = (busyPerSecond[sec] ?? 0) + dt;
  if (t < FROM || t > TO) return;
  self.set(id, (self.get(id) ?? 0) + dt);
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

function moduleOf(url: string): string {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '').replace(/^.*\/(dist|server|shared|bench)\//, '$1/');
}
const label = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${moduleOf(f.url)}:${f.lineNumber + 1}`;

function sum(key: (n: ProfileNode) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const [id, us] of self) {
    const k = key(byId.get(id)!);
    m.set(k, (m.get(k) ?? 0) + us);
  }
  return [...m].sort((a, b) => b[1] - a[1]);
}

function print(title: string, rows: [string, number][]): void {
  process.stdout.write(`\n${title}\n`);
  for (const [k, us] of rows.slice(0, TOP)) {
    const pct = ((100 * us) / total).toFixed(1).padStart(5);
    const per = PER > 0 ? `${(us / PER).toFixed(1).padStart(8)} µs/req` : '';
    process.stdout.write(`${pct}% ${(us / 1000).toFixed(0).padStart(7)} ms ${per}  ${k}\n`);
  }
}

process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n`);
process.stdout.write(
  `busy ms per second: ${Array.from(busyPerSecond, (us, s) => `${s}:${Math.round((us ?? 0) / 1000)}`).join(' ')}\n`,
);
print(
  'self time by module',
  sum((n) => moduleOf(n.callFrame.url)),
);
print(
  'self time by function',
  sum((n) => label(n.callFrame)),
);

if (INCLUSIVE) {
  // Inclusive time: a sample counts once for every distinct matching frame on its stack.
  const re = new RegExp(INCLUSIVE);
  const incl = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = label(byId.get(cur)!.callFrame);
      if (re.test(k)) seen.add(k);
    }
    for (const k of seen) incl.set(k, (incl.get(k) ?? 0) + us);
  }
  print(
    `total (inclusive) time of functions matching /${INCLUSIVE}/`,
    [...incl].sort((a, b) => b[1] - a[1]),
  );
}
