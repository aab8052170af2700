import { describe, expect, it } from 'vitest';
import { formFields, initialDrafts, readForm } from './formSchema';
import { sortTasks, type HumanTask } from './api';

const schema = {
  type: 'object',
  required: ['title', 'priority', 'count'],
  properties: {
    title: { type: 'string', title: 'Title', minLength: 3, maxLength: 10 },
    notes: { type: 'string', format: 'textarea' },
    priority: { type: 'string', enum: ['low', 'high'] },
    count: { type: 'integer', minimum: 1, maximum: 5 },
    score: { type: 'number' },
    urgent: { type: 'boolean', default: true },
    tags: { type: 'array', items: { type: 'string' } },
  },
};

describe('task form from a JSON Schema', () => {
  it('reads one field per property with its kind', () => {
    const fields = formFields(schema);
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['title', 'string', true],
      ['notes', 'multiline', false],
      ['priority', 'enum', true],
      ['count', 'integer', true],
      ['score', 'number', false],
      ['urgent', 'boolean', false],
      ['tags', 'json', false],
    ]);
    expect(fields[0].label).toBe('Title');
    expect(formFields(undefined)).toEqual([]);
    expect(formFields({ type: 'object' })).toEqual([]);
  });

  it('says what to fix per field, and types the values when valid', () => {
    const fields = formFields(schema);
    const drafts = initialDrafts(fields);
    expect(drafts.urgent).toBe(true);
    const empty = readForm(fields, drafts);
    expect(empty.errors).toEqual({
      title: 'Title is required.',
      priority: 'priority is required.',
      count: 'count is required.',
    });
    const bad = readForm(fields, { ...drafts, title: 'ab', priority: 'mid', count: '7', score: 'x', tags: '[' });
    expect(bad.errors.title).toBe('Enter at least 3 characters.');
    expect(bad.errors.priority).toBe('Choose one of: low, high.');
    expect(bad.errors.count).toBe('Enter a number from 1 to 5.');
    expect(bad.errors.score).toBe('Enter a number, e.g. 600.');
    expect(bad.errors.tags).toMatch(/^Not valid JSON/);
    // Lengths count characters: 10 kanji fit a maxLength of 10; full-width digits read as numbers.
    const ok = readForm(fields, {
      ...drafts,
      title: '承認をお願いします。',
      priority: 'high',
      count: '３',
      score: '2.5',
      tags: '["a"]',
      urgent: false,
    });
    expect(ok.errors).toEqual({});
    expect(ok.values).toEqual({
      title: '承認をお願いします。',
      priority: 'high',
      count: 3,
      score: 2.5,
      tags: ['a'],
      urgent: false,
    });
    expect(readForm(fields, { ...drafts, title: '承認をお願いします。です' }).errors.title).toBe(
      'Enter at most 10 characters.',
    );
  });

  it('checks patterns when the browser can compile them', () => {
    const fields = formFields({ type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]{3}$' } } });
    expect(readForm(fields, { code: 'abc' }).errors.code).toMatch(/expected form/);
    expect(readForm(fields, { code: 'ABC' }).values).toEqual({ code: 'ABC' });
  });
});

describe('inbox order', () => {
  it('puts the task waiting longest first', () => {
    const t = (id: string, createdAt: number) => ({ id, createdAt }) as HumanTask;
    expect(sortTasks([t('b', 2), t('c', 1), t('a', 2)]).map((x) => x.id)).toEqual(['c', 'a', 'b']);
  });
});
