/**
 * The builder Chat tab's conversation, kept per flow in the browser's localStorage so a
 * reload does not lose it. Only finished turns are kept as the conversation: a message
 * whose reply was still being written is kept apart (`pending`), so after a reload it is
 * offered again instead of standing in the log as if it had been answered (the half-written
 * reply itself is never stored). Bounded: the newest turns that fit in MAX_CHARS.
 */
import type { ChatMessage } from '../../shared/flow/chat';

export const CHAT_KEY_PREFIX = 'braid.chat.';
/** Characters of message text kept per flow (about 200 KB of UTF-16, well inside the quota). */
export const MAX_CHARS = 100_000;
/** Turns kept per flow, whatever their size. */
export const MAX_TURNS = 200;

export interface SavedChat {
  turns: ChatMessage[];
  /** A message sent whose reply had not finished when the page went away. */
  pending?: string;
  /** Why the last message got no reply (its run failed): shown again after a reload. */
  error?: string;
}

/** The subset of `Storage` used here (tests pass a Map-backed one). */
export type ChatStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const ROLES = new Set(['system', 'user', 'assistant']);

function isMessage(v: unknown): v is ChatMessage {
  const m = v as ChatMessage | null;
  return !!m && typeof m === 'object' && ROLES.has(m.role) && typeof m.content === 'string';
}

/** The newest turns within both caps; never starts with an assistant reply cut from its question. */
export function capTurns(turns: readonly ChatMessage[]): ChatMessage[] {
  let chars = 0;
  let start = turns.length;
  while (start > 0 && turns.length - start < MAX_TURNS) {
    const len = (turns[start - 1] as ChatMessage).content.length;
    if (chars + len > MAX_CHARS) break;
    chars += len;
    start--;
  }
  while (start < turns.length && turns[start]?.role === 'assistant') start++;
  return turns.slice(start);
}

export function loadChat(storage: ChatStorage, flowId: string): SavedChat {
  let raw: string | null = null;
  try {
    raw = storage.getItem(CHAT_KEY_PREFIX + flowId);
  } catch {
    return { turns: [] };
  }
  if (!raw) return { turns: [] };
  try {
    const v = JSON.parse(raw) as Partial<SavedChat> | null;
    const turns = Array.isArray(v?.turns) ? v.turns.filter(isMessage) : [];
    const pending = typeof v?.pending === 'string' && v.pending ? v.pending : undefined;
    const error = typeof v?.error === 'string' && v.error ? v.error : undefined;
    return { turns: capTurns(turns), ...(pending ? { pending } : {}), ...(error ? { error } : {}) };
  } catch {
    return { turns: [] };
  }
}

/** Save (an empty conversation removes the key). Storage full or blocked: the chat just is not kept. */
export function saveChat(storage: ChatStorage, flowId: string, chat: SavedChat): void {
  const key = CHAT_KEY_PREFIX + flowId;
  try {
    if (chat.turns.length === 0 && !chat.pending) {
      storage.removeItem(key);
      return;
    }
    const pending = chat.pending ? chat.pending.slice(0, MAX_CHARS) : undefined;
    const error = chat.error ? chat.error.slice(0, 2000) : undefined;
    storage.setItem(
      key,
      JSON.stringify({ turns: capTurns(chat.turns), ...(pending ? { pending } : {}), ...(error ? { error } : {}) }),
    );
  } catch {
    // QuotaExceededError or storage disabled: keeping the chat is a convenience, not a must.
  }
}

const NO_STORAGE: ChatStorage = { getItem: () => null, setItem: () => undefined, removeItem: () => undefined };

/** localStorage, or a no-op store where the browser refuses access to it. */
export function browserStorage(): ChatStorage {
  try {
    return window.localStorage ?? NO_STORAGE;
  } catch {
    return NO_STORAGE;
  }
}
