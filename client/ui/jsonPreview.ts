/**
 * Bounded text for a JSON value shown in a panel. A map over 10,000 items has spans whose
 * inputs and outputs pretty-print to megabytes; laying out all of it in a <pre> held the
 * trace view for seconds. Panels show the first PREVIEW_CHARS and offer the rest on request.
 */
export const PREVIEW_CHARS = 20_000;

export interface JsonPreview {
  /** What to show: the whole text, or its head cut at a line end. */
  text: string;
  /** Characters left out (0: the whole text is shown). */
  hidden: number;
  total: number;
}

/** Pretty JSON (strings as they are), at most `max` characters of it unless `full`. */
export function jsonPreview(value: unknown, max = PREVIEW_CHARS, full = false): JsonPreview {
  const whole = typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? '—');
  if (full || whole.length <= max) return { text: whole, hidden: 0, total: whole.length };
  const cut = whole.lastIndexOf('\n', max);
  const head = whole.slice(0, cut > max / 2 ? cut : max);
  return { text: head, hidden: whole.length - head.length, total: whole.length };
}

/** "583,112 characters" in a short form: "583 K characters". */
export function sizeLabel(chars: number): string {
  if (chars < 10_000) return `${chars.toLocaleString('en-US')} characters`;
  if (chars < 1_000_000) return `${Math.round(chars / 1000)} K characters`;
  return `${(chars / 1_000_000).toFixed(1)} M characters`;
}
