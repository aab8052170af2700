import { describe, expect, it } from 'vitest';
import { rowProblems, rowsOf, schemaOf } from './formRows';

describe('form rows', () => {
  it('round-trips a form schema through rows, keeping other keywords', () => {
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string', title: 'タイトル', maxLength: 40 },
        body: { type: 'string', format: 'textarea' },
        size: { type: 'integer', minimum: 1 },
        ok: { type: 'boolean' },
        level: { type: 'string', enum: ['low', 'high'] },
      },
      required: ['title', 'level'],
    };
    const rows = rowsOf(schema);
    expect(rows?.map((r) => [r.name, r.type, r.required])).toEqual([
      ['title', 'string', true],
      ['body', 'multiline', false],
      ['size', 'integer', false],
      ['ok', 'boolean', false],
      ['level', 'enum', true],
    ]);
    expect(schemaOf(rows ?? [])).toEqual(schema);
    expect(rowsOf(undefined)).toEqual([]);
    expect(schemaOf([])).toBeUndefined();
  });

  it('leaves schemas the rows cannot show to the JSON editor', () => {
    expect(rowsOf({ type: 'object', properties: { a: { type: 'object' } } })).toBeNull();
    expect(rowsOf({ type: 'object', properties: {}, $defs: {} })).toBeNull();
    expect(rowsOf({ type: 'array' })).toBeNull();
    expect(rowsOf({ type: 'object', properties: { n: { enum: [1, 2] } } })).toBeNull();
  });

  it('names what keeps rows from being saved', () => {
    const row = { type: 'string' as const, required: false, options: [], rest: {} };
    expect(
      rowProblems([
        { ...row, name: '' },
        { ...row, name: 'a b' },
        { ...row, name: 'x' },
        { ...row, name: 'x' },
        { ...row, name: 'pick', type: 'enum' },
      ]),
    ).toEqual({
      0: 'Name the field.',
      1: 'Use letters, digits and _ (start with a letter or _).',
      3: '“x” is already a field.',
      4: 'List at least one choice.',
    });
  });
});
