/**
 * Prompt-injection heuristics: patterns that try to override the instructions of the model
 * that will read a text. Each pattern has an id (recorded in the trace) and a description
 * (shown in docs). Heuristics catch the common phrasings, not a determined attacker; put
 * them in front of anything that reaches a model from outside.
 */

export interface InjectionPattern {
  id: string;
  description: string;
  test: (text: string, normalised: string) => boolean;
}

const re = (r: RegExp) => (_t: string, n: string) => r.test(n);

export const INJECTION_PATTERNS: InjectionPattern[] = [
  {
    id: 'ignore_instructions',
    description: '"ignore / disregard / forget (all) previous / prior / above instructions, rules or prompts"',
    test: re(
      /\b(ignore|disregard|forget|skip|override|bypass)\b[^.\n]{0,40}\b(previous|prior|above|earlier|preceding|initial|original|all|any|your|the)\b[^.\n]{0,30}\b(instructions?|rules?|prompts?|directions?|guidelines?|context|messages?)\b/,
    ),
  },
  {
    id: 'new_instructions',
    description: '"new instructions:", "updated system prompt", "from now on you will…"',
    test: re(
      /\b(new|updated|real|actual|revised)\s+(system\s+)?(instructions?|prompt|rules)\s*[:-]|\bfrom now on\b[^.\n]{0,40}\b(you|your|act|respond|answer|ignore)\b/,
    ),
  },
  {
    id: 'role_override',
    description: '"you are now…", "act as / pretend to be / role-play as…", "developer mode", "DAN", "jailbreak"',
    test: (t, n) =>
      /\byou are now\b|\b(act|behave|respond) as (if you (are|were) )?(an? )?(unrestricted|unfiltered|jailbroken|evil|different|new)\b|\b(pretend|imagine) (to be|you are|that you are)\b|\brole-?play(ing)? as\b|\bdeveloper mode\b|\bdo anything now\b|\bjailbr(eak|oken)\b/.test(
        n,
      ) || /\bDAN\b/.test(t),
  },
  {
    id: 'system_prompt_exfiltration',
    description: '"reveal / print / repeat your system prompt / hidden instructions"',
    test: re(
      /\b(reveal|show|print|repeat|display|output|leak|tell me|what (is|are))\b[^.\n]{0,30}\b(system|hidden|secret|initial|original)\s+(prompt|instructions?|message|rules)\b/,
    ),
  },
  {
    id: 'fake_system_message',
    description: 'chat-markup or role headers in the text: `<|im_start|>system`, `[INST]`, `### System:`, `<system>`',
    test: (t) =>
      /<\|(im_start|im_end|system|endoftext)\|>|\[\/?INST\]|<<\/?SYS>>|^\s*#{1,4}\s*(system|assistant)\s*:|<\/?(system|assistant)>|^\s*(system|assistant)\s*:/im.test(
        t,
      ),
  },
  {
    id: 'base64_blob',
    description: 'a long base64 blob (hidden instructions are often encoded)',
    test: (t) => /(?:[A-Za-z0-9+/]{4}){16,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?/.test(t) && hasLongBase64(t),
  },
  {
    id: 'invisible_characters',
    description: 'zero-width or bidirectional-override characters (text hidden from human readers)',
    test: (t) => /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u{E0000}-\u{E007F}]/u.test(t),
  },
];

/** A base64 run of 64+ chars that mixes cases and digits (not a word, hash or hex id). */
function hasLongBase64(t: string): boolean {
  for (const m of t.matchAll(/[A-Za-z0-9+/]{64,}={0,2}/g)) {
    const s = m[0];
    if (/^[0-9a-f]+$/i.test(s)) continue; // hex digests
    if (/[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9+/]/.test(s)) return true;
  }
  return false;
}

/** Ids of the injection patterns found in `text`. */
export function detectInjection(text: string): string[] {
  const normalised = text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ');
  return INJECTION_PATTERNS.filter((p) => p.test(text, normalised)).map((p) => p.id);
}
