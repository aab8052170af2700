/**
 * A line diff of two texts (longest common subsequence of lines), for prompt templates,
 * code and other long text fields in flow diffs. Pure and small; texts are short (a flow
 * field), and very long ones fall back to "all removed, all added" instead of a slow table.
 */

export interface LineChange {
  op: 'same' | 'add' | 'del';
  text: string;
}

/** Above this many cells in the LCS table (after trimming a common head and tail) no alignment is tried. */
const MAX_CELLS = 4_000_000;

/** Lines of `before` → lines of `after`, in order: kept (`same`), removed (`del`), added (`add`). */
export function lineDiff(before: string, after: string): LineChange[] {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out: LineChange[] = a.slice(0, head).map((text) => ({ op: 'same', text }));
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  out.push(...middle(midA, midB));
  for (const text of a.slice(a.length - tail)) out.push({ op: 'same', text });
  return out;
}

/** Words, runs of spaces, and single CJK characters (CJK text has no spaces between words). */
const TOKEN =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]|\s+|[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;

/**
 * A word diff of two lines (one removed line and the line that replaced it): which words
 * stayed, which were removed, which were added. Joining the `same`+`del` texts gives
 * `before`, the `same`+`add` texts `after`.
 */
export function wordDiff(before: string, after: string): LineChange[] {
  const ops = middle(before.match(TOKEN) ?? [], after.match(TOKEN) ?? []);
  const out: LineChange[] = [];
  let del = '';
  let add = '';
  const flush = () => {
    if (del) out.push({ op: 'del', text: del });
    if (add) out.push({ op: 'add', text: add });
    del = add = '';
  };
  ops.forEach((c, i) => {
    // A space kept between two changes reads better as part of them: "at most three" → "one".
    const inChange = (del || add) && c.op === 'same' && /^\s+$/.test(c.text) && ops[i + 1]?.op !== 'same';
    if (c.op === 'del' || inChange) del += c.text;
    if (c.op === 'add' || inChange) add += c.text;
    if (c.op !== 'same' || inChange) return;
    flush();
    const last = out[out.length - 1];
    if (last?.op === 'same') last.text += c.text;
    else out.push({ ...c });
  });
  flush();
  return out;
}

function middle(a: string[], b: string[]): LineChange[] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((text) => ({ op: 'add', text }));
  if (m === 0) return a.map((text) => ({ op: 'del', text }));
  if (n * m > MAX_CELLS)
    return [
      ...a.map((text): LineChange => ({ op: 'del', text })),
      ...b.map((text): LineChange => ({ op: 'add', text })),
    ];
  // lcs[i][j]: length of the LCS of a[i..] and b[j..], in one flat array.
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i * w + j] =
        a[i] === b[j]
          ? (lcs[(i + 1) * w + j + 1] ?? 0) + 1
          : Math.max(lcs[(i + 1) * w + j] ?? 0, lcs[i * w + j + 1] ?? 0);
  const out: LineChange[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: 'same', text: a[i] as string });
      i++;
      j++;
    } else if ((lcs[(i + 1) * w + j] ?? 0) >= (lcs[i * w + j + 1] ?? 0)) {
      out.push({ op: 'del', text: a[i++] as string });
    } else {
      out.push({ op: 'add', text: b[j++] as string });
    }
  }
  while (i < n) out.push({ op: 'del', text: a[i++] as string });
  while (j < m) out.push({ op: 'add', text: b[j++] as string });
  return out;
}

/** The texts a line diff was made from: [before, after]. */
export function linesToTexts(lines: readonly LineChange[]): [string, string] {
  const before = lines.filter((l) => l.op !== 'add').map((l) => l.text);
  const after = lines.filter((l) => l.op !== 'del').map((l) => l.text);
  return [before.join('\n'), after.join('\n')];
}
