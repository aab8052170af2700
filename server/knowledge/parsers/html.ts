/** HTML → readable text: scripts, navigation, headers, footers and forms dropped; main/article preferred. */
import { parse, type HTMLElement } from 'node-html-parser';
import { decodeText } from './text';

const DROP =
  'script, style, noscript, template, svg, nav, header, footer, aside, form, iframe, button, [role=navigation], [role=banner], [role=contentinfo], [aria-hidden=true]';
const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'li',
  'ul',
  'ol',
  'br',
  'tr',
  'table',
  'pre',
  'blockquote',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'dd',
  'dt',
  'figcaption',
]);

function textOf(el: HTMLElement, out: string[]): void {
  for (const child of el.childNodes) {
    if (child.nodeType === 3) out.push(child.text);
    else if (child.nodeType === 1) {
      const tag = (child as HTMLElement).tagName?.toLowerCase() ?? '';
      const block = BLOCK.has(tag);
      if (block) out.push('\n');
      if (/^h[1-6]$/.test(tag)) out.push('#'.repeat(Number(tag[1])) + ' ');
      if (tag === 'li') out.push('- ');
      textOf(child as HTMLElement, out);
      if (block) out.push('\n');
    }
  }
}

/** Readable text of an HTML page, with headings kept as markdown `#` lines. */
export function htmlToText(html: string): { title: string; text: string } {
  const root = parse(html, {
    comment: false,
    blockTextElements: { script: false, style: false, noscript: false, pre: true },
  });
  const title = root.querySelector('title')?.text.trim() ?? '';
  for (const el of root.querySelectorAll(DROP)) el.remove();
  const main =
    root.querySelector('main') ??
    root.querySelector('article') ??
    root.querySelector('[role=main]') ??
    root.querySelector('body') ??
    root;
  const out: string[] = [];
  textOf(main, out);
  const text = out
    .join('')
    .replace(/&nbsp;/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { title, text };
}

export function parseHtml(buf: Buffer, name: string): { markdown: string; title: string } {
  const { title, text } = htmlToText(decodeText(buf, name));
  return { markdown: text, title };
}
