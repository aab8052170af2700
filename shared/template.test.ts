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
