import { describe, it, expect } from 'vitest';
import Mustache from 'mustache';
import {
  PARSE_CACHE_MAX,
  PARSE_CACHE_MAX_CHARS,
  SAFE_VARIABLE,
  renderTemplate,
  templateParseCache,
  templateVariables,
} from './template';

describe('template parse caches stay bounded', () => {
  it("mustache's own global cache is off", () => {
    expect((Mustache as { templateCache?: unknown }).templateCache).toBeUndefined();
    // Direct use of the default writer keeps nothing either.
    for (let i = 0; i < 100; i++) Mustache.render(`direct {{v${i}}}`, {});
    expect((Mustache as { templateCache?: unknown }).templateCache).toBeUndefined();
  });

  it('many distinct templates (validation on every keystroke) never grow past the bound', () => {
    templateParseCache.clear();
    const n = PARSE_CACHE_MAX * 3;
    for (let i = 0; i < n; i++) {
      const t = `Hello {{name}} #${i} {{#items}}{{.}}{{/items}}`;
      expect(templateVariables(t).map((v) => v.name)).toEqual(['name', 'items']);
      if (i % 7 === 0) expect(renderTemplate(t, { name: 'x', items: [1, 2] })).toBe(`Hello x #${i} 12`);
    }
    expect(templateParseCache.size).toBeLessThanOrEqual(PARSE_CACHE_MAX);
    expect(templateParseCache.size).toBeGreaterThan(PARSE_CACHE_MAX / 2); // it does cache
  });

  it('is bounded in characters too, and skips huge templates', () => {
    templateParseCache.clear();
    const big = 'x'.repeat(20_000);
    for (let i = 0; i < 250; i++) renderTemplate(`${i} ${big} {{v}}`, { v: i });
    expect(templateParseCache.totalChars).toBeLessThanOrEqual(PARSE_CACHE_MAX_CHARS);
    templateParseCache.clear();
    const huge = 'y'.repeat(PARSE_CACHE_MAX_CHARS / 8 + 1);
    expect(renderTemplate(`${huge}{{v}}`, { v: 1 }).length).toBe(huge.length + 1);
    expect(templateParseCache.size).toBe(0);
  });

  it('repeated renders reuse one parse', () => {
    templateParseCache.clear();
    renderTemplate('a {{b}}', { b: 1 });
    renderTemplate('a {{b}}', { b: 2 });
    templateVariables('a {{b}}');
    expect(templateParseCache.size).toBe(1);
  });
});

describe('SAFE_VARIABLE', () => {
  it('refuses names that reach Object.prototype', () => {
    for (const bad of ['__proto__', 'constructor', 'prototype', '1x', 'a-b', ''])
      expect(SAFE_VARIABLE.test(bad), bad).toBe(false);
    for (const ok of ['x', '_proto', '__proto', 'constructors', 'my_prototype', 'A1'])
      expect(SAFE_VARIABLE.test(ok), ok).toBe(true);
  });
});

describe('renderTemplate reads only the data it was given', () => {
  it('prototype properties of primitives are not readable inside sections', () => {
    expect(renderTemplate('{{#arr}}[{{constructor.name}}]{{/arr}}', { arr: [1, 2] })).toBe('[][]');
    expect(renderTemplate('{{#arr}}[{{toFixed}}{{constructor}}]{{/arr}}', { arr: [1] })).toBe('[]');
    expect(renderTemplate('{{#s}}[{{length}}{{constructor.name}}{{toUpperCase}}]{{/s}}', { s: 'abc' })).toBe('[]');
    expect(renderTemplate('{{#b}}[{{valueOf}}{{constructor.name}}]{{/b}}', { b: true })).toBe('[]');
  });

  it('prototype properties of objects and arrays are not readable', () => {
    const view = { o: { a: 1 }, arr: [1, 2, 3] };
    expect(renderTemplate('{{o.constructor.name}}|{{o.toString}}|{{o.hasOwnProperty}}|{{o.__proto__}}', view)).toBe(
      '|||',
    );
    expect(renderTemplate('{{arr.map}}|{{arr.constructor.name}}|{{arr.push}}', view)).toBe('||');
    expect(renderTemplate('{{#o}}{{constructor.name}}{{toString}}{{/o}}', view)).toBe('');
    // the view object itself (root context) is plain data too
    expect(renderTemplate('{{constructor.name}}{{toString}}{{hasOwnProperty}}', { x: 1 })).toBe('');
  });

  it('keeps data access: own properties, dotted paths, `.`, array index and array `length`', () => {
    const view = { user: { name: 'Ann', tags: ['a', 'b'] }, nums: [1, 2, 3], docs: [{ text: 'x' }, { text: 'y' }] };
    expect(renderTemplate('{{user.name}} {{user.tags.length}} {{user.tags.1}} {{nums.length}}', view)).toBe(
      'Ann 2 b 3',
    );
    expect(renderTemplate('{{#nums}}<{{.}}>{{/nums}}', view)).toBe('<1><2><3>');
    expect(renderTemplate('{{#docs}}{{text}}{{/docs}}', view)).toBe('xy');
    // a name missing from the item is looked up in the enclosing sections (mustache semantics)
    expect(renderTemplate('{{#docs}}{{text}}-{{user.name}};{{/docs}}', view)).toBe('x-Ann;y-Ann;');
    expect(renderTemplate('{{#nums.length}}has{{/nums.length}}{{^missing}}none{{/missing}}', view)).toBe('hasnone');
    // an own property named like a prototype member is data and is readable
    expect(renderTemplate('{{o.toString}}', { o: { toString: 'mine' } })).toBe('mine');
  });

  it('functions in the view are never called', () => {
    let called = 0;
    const f = () => {
      called++;
      return 'x';
    };
    expect(renderTemplate('{{f}}{{#f}}y{{/f}}{{o.f}}', { f, o: { f } })).toBe('');
    expect(called).toBe(0);
  });
});
