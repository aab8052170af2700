/** "1 chunk", "2 chunks", "0 rows": a count with its noun in the right number (English UI). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
