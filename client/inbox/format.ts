/** Times and values as the Inbox shows them. */

function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 && h < 10 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.round(h / 24)} days`;
}

/** "3 min ago". */
export function ago(at: number, now = Date.now()): string {
  if (!at) return '—';
  return now - at < 5_000 ? 'just now' : `${span(now - at)} ago`;
}

/** "in 2 h 5 min" or "overdue by 3 min". */
export function dueIn(deadline: number, now = Date.now()): string {
  return deadline >= now ? `in ${span(deadline - now)}` : `overdue by ${span(now - deadline)}`;
}

/** A value in one line: strings as they are, the rest as compact JSON, cut at `max` characters. */
export function preview(v: unknown, max = 240): string {
  const s = typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
  const chars = [...(s ?? '')];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : (s ?? '');
}

export const KIND_LABEL = { approval: 'Approval', input: 'Input', tool: 'Tool call' } as const;
