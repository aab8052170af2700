/**
 * The Japanese morphological analyzer of the `ja` tokenizers (BLEU and ROUGE): kuromoji
 * with the IPADIC dictionary it ships (node_modules/kuromoji/dict, the same
 * mecab-ipadic-2.7.0 that sacreBLEU's `ja-mecab` uses through MeCab). The dictionary
 * (~18 MB compressed, ~300 MB in memory) is loaded once, lazily, on the first metric
 * that needs it; every later call shares the one analyzer.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import kuromoji from 'kuromoji';
import type { TokenizeFn } from './tokenizers';

let loading: Promise<TokenizeFn> | undefined;

let loads = 0;

/** How many times the dictionary was loaded (for tests: it must be once). */
export const japaneseLoadCount = (): number => loads;

function dictionaryPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('kuromoji/package.json')), 'dict');
}

/**
 * The analyzer as a tokenizer: surface forms in order, whitespace-only tokens dropped
 * (MeCab's `-Owakati` output never has them either).
 */
export function japaneseTokens(): Promise<TokenizeFn> {
  loading ??= new Promise<TokenizeFn>((resolve, reject) => {
    loads++;
    kuromoji.builder({ dicPath: dictionaryPath() }).build((err, tokenizer) => {
      if (err) {
        loading = undefined;
        reject(new Error(`cannot load the Japanese dictionary: ${err.message}`));
        return;
      }
      resolve((text: string) =>
        tokenizer
          .tokenize(text)
          .map((t) => t.surface_form)
          .filter((s) => s.trim() !== ''),
      );
    });
  });
  return loading;
}
