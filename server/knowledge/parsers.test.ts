import { describe, expect, it } from 'vitest';
import { chunkFile } from './chunker';
import { buildDocx, buildPdf } from './fixtures.test-support';
import { parseFile } from './parsers/index';
import { KnowledgeError } from './types';

async function failure(p: Promise<unknown>): Promise<KnowledgeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KnowledgeError);
  return err as KnowledgeError;
}

describe('parsers', () => {
  it('txt: text as is', async () => {
    const p = await parseFile(Buffer.from('hello\r\nworld'), 'a.txt');
    expect(p.sections).toEqual([{ text: 'hello\nworld', metadata: {} }]);
  });

  it('md: sections carry their heading path; code fences are not headings', async () => {
    const md = '# Guide\nintro\n## Install\nrun npm\n```\n# not a heading\n```\n## Use\nclick';
    const p = await parseFile(Buffer.from(md), 'g.md');
    expect(p.sections.map((s) => s.metadata.heading)).toEqual(['Guide', 'Guide > Install', 'Guide > Use']);
    expect(p.sections[1].text).toContain('# not a heading');
  });

  it('html: readable text, boilerplate (nav, header, footer, script, style) stripped', async () => {
    const html = `<html><head><title>T</title><style>.a{}</style><script>var x=1</script></head><body>
      <header>SITE HEADER</header><nav><a>Home</a><a>MENU ITEM</a></nav>
      <main><h1>Refunds</h1><p>Refunds take <b>five</b> days.</p><ul><li>one</li><li>two</li></ul></main>
      <footer>COPYRIGHT FOOTER</footer></body></html>`;
    const p = await parseFile(Buffer.from(html), 'page.html');
    const all = p.sections.map((s) => s.text).join('\n');
    expect(all).toContain('Refunds take five days.');
    expect(all).toContain('- one');
    for (const junk of ['SITE HEADER', 'MENU ITEM', 'COPYRIGHT FOOTER', 'var x', '.a{}'])
      expect(all).not.toContain(junk);
    expect(p.sections[0].metadata).toMatchObject({ title: 'T', heading: 'Refunds' });
  });

  it('pdf: one section per page with its page number', async () => {
    const p = await parseFile(buildPdf(['First page about apples', 'Second page about pears']), 'doc.pdf');
    expect(p.format).toBe('pdf');
    expect(p.sections).toEqual([
      { text: 'First page about apples', metadata: { page: 1 } },
      { text: 'Second page about pears', metadata: { page: 2 } },
    ]);
  });

  it('docx: paragraphs and headings', async () => {
    const buf = await buildDocx([
      { heading: 'Shipping', text: 'We ship worldwide in 3 days.' },
      { text: 'Second paragraph.' },
    ]);
    const p = await parseFile(buf, 'policy.docx');
    const all = p.sections.map((s) => s.text).join('\n');
    expect(all).toContain('We ship worldwide in 3 days.');
    expect(all).toContain('Second paragraph.');
    expect(p.sections[0].metadata.heading).toBe('Shipping');
  });

  it('csv: one section per row; text column chosen; other columns metadata; quotes handled', async () => {
    const csv = 'id,question,answer\n1,"How, exactly?","Like ""this""\nand that"\n2,Why,Because\n';
    const p = await parseFile(Buffer.from(csv), 'faq.csv', { textColumn: 'answer' });
    expect(p.sections).toEqual([
      { text: 'Like "this"\nand that', metadata: { row: 1, id: '1', question: 'How, exactly?' } },
      { text: 'Because', metadata: { row: 2, id: '2', question: 'Why' } },
    ]);
    await expect(parseFile(Buffer.from(csv), 'faq.csv', { textColumn: 'nope' })).rejects.toThrow(/no column "nope"/);
  });

  it('jsonl: one section per record; `text` column by default', async () => {
    const p = await parseFile(
      Buffer.from('{"text":"alpha","lang":"en","n":2}\n\n{"text":"beta","lang":"fr"}\n'),
      'r.jsonl',
    );
    expect(p.sections).toEqual([
      { text: 'alpha', metadata: { row: 1, lang: 'en', n: 2 } },
      { text: 'beta', metadata: { row: 2, lang: 'fr' } },
    ]);
    expect((await failure(parseFile(Buffer.from('{"text":"a"}\nnot json'), 'bad.jsonl'))).message).toMatch(/line 2/);
  });

  it('bad inputs: clear codes', async () => {
    expect((await failure(parseFile(Buffer.alloc(0), 'empty.txt'))).code).toBe('empty_file');
    expect((await failure(parseFile(Buffer.from('   \n  '), 'blank.md'))).code).toBe('empty_file');
    expect((await failure(parseFile(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 3]), 'program.txt'))).code).toBe(
      'binary_content',
    );
    expect((await failure(parseFile(Buffer.from('x'), 'photo.exe'))).code).toBe('unsupported_type');
    expect((await failure(parseFile(Buffer.from('%PDF-1.4\ngarbage garbage'), 'corrupt.pdf'))).code).toBe(
      'corrupt_file',
    );
    const locked = await failure(parseFile(buildPdf(['secret'], { encrypted: true }), 'locked.pdf'));
    expect(locked.code).toBe('password_protected');
    expect(locked.message).toMatch(/password/);
    expect((await failure(parseFile(Buffer.from('not a zip'), 'x.docx'))).code).toBe('corrupt_file');
    expect((await failure(parseFile(Buffer.from('PK\u0003\u0004broken'), 'y.docx'))).code).toBe('corrupt_file');
  });
});

describe('chunker', () => {
  it('splits long text with size and overlap, keeps section metadata and positions', async () => {
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const chunks = await chunkFile(
      { format: 'text', sections: [{ text: words, metadata: { page: 3 } }] },
      { chunkSize: 200, chunkOverlap: 40 },
    );
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(200);
    expect(chunks.map((c) => c.metadata.position)).toEqual(chunks.map((_, i) => i));
    expect(chunks.every((c) => c.metadata.page === 3)).toBe(true);
    // overlap: the start of chunk 2 repeats the end of chunk 1
    const firstWordOf2 = chunks[1].text.split(' ')[0];
    expect(chunks[0].text).toContain(firstWordOf2);
  });
});
