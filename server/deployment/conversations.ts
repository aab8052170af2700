/**
 * Conversation memory: the turns of a session (`sessionId`, or the OpenAI `user` field)
 * stored in the database under a scope (a deployment slug, or `flow:<id>` for the
 * builder's playground), kept within a window of messages and estimated tokens.
 *
 * A deployed endpoint's conversations belong to the API key that made them: the same
 * `sessionId` under two keys is two conversations, so one key holder can neither continue
 * nor read back another's. Only the playground (`flow:<id>`, behind the admin token) has
 * conversations without a key; a deployment scope without a key is refused.
 */
import type { Storage } from '../storage/index';
import { fromJson } from '../storage/index';
import { deployDb, type DeployDb } from './tables';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface HistoryWindow {
  maxMessages: number;
  maxTokens: number;
}

/** A fast token estimate (≈ 4 characters a token, plus 4 per message of framing). */
export function estimateTokens(m: ChatMessage): number {
  return Math.ceil(m.content.length / 4) + 4;
}

/** The most recent messages that fit the window (never splits a message). */
export function windowed(messages: ChatMessage[], w: HistoryWindow): ChatMessage[] {
  const out: ChatMessage[] = [];
  let tokens = 0;
  for (let i = messages.length - 1; i >= 0 && out.length < w.maxMessages; i--) {
    const m = messages[i] as ChatMessage;
    tokens += estimateTokens(m);
    if (tokens > w.maxTokens && out.length > 0) break;
    out.unshift(m);
  }
  // Start with a user turn when possible, so a window never opens on a dangling reply.
  while (out.length > 1 && out[0]?.role === 'assistant') out.shift();
  return out;
}

export { SESSION_ID } from '../../shared/api/deployment';

/** Which conversation: its scope, the key that owns it (null: playground only) and the session. */
export interface ConversationRef {
  scope: string;
  keyId: string | null;
  sessionId: string;
}

const PLAYGROUND_SCOPE = 'flow:';

/**
 * The row id. Keyed: `<slug>/<keyId>/<sessionId>`; playground: `flow:<id>:<sessionId>`.
 * Session ids and slugs never contain `/` and slugs never contain `:`, so the two forms
 * cannot meet.
 */
export function conversationId(ref: ConversationRef): string {
  if (ref.keyId === null) {
    if (!ref.scope.startsWith(PLAYGROUND_SCOPE))
      throw new Error(`conversations of deployment "${ref.scope}" belong to an API key`);
    return `${ref.scope}:${ref.sessionId}`;
  }
  return `${ref.scope}/${ref.keyId}/${ref.sessionId}`;
}

export class ConversationStore {
  readonly db: DeployDb;
  constructor(storage: Storage) {
    this.db = deployDb(storage);
  }

  async load(ref: ConversationRef): Promise<ChatMessage[]> {
    const r = await this.db
      .selectFrom('conversations')
      .select('messages')
      .where('id', '=', conversationId(ref))
      .executeTakeFirst();
    return r ? fromJson<ChatMessage[]>(r.messages, []) : [];
  }

  /** Append turns and store the windowed result. */
  async append(ref: ConversationRef, turns: ChatMessage[], w: HistoryWindow): Promise<ChatMessage[]> {
    const id = conversationId(ref);
    const prev = await this.load(ref);
    const next = windowed([...prev, ...turns], w);
    const json = JSON.stringify(next);
    const now = Date.now();
    await this.db
      .insertInto('conversations')
      .values({ id, scope: ref.scope, key_id: ref.keyId, session_id: ref.sessionId, messages: json, updated_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ messages: json, updated_at: now }))
      .execute();
    return next;
  }

  /** Forget sessions of a scope idle since before `olderThan`; returns how many. */
  async prune(scope: string, olderThan: number): Promise<number> {
    const r = await this.db
      .deleteFrom('conversations')
      .where('scope', '=', scope)
      .where('updated_at', '<', olderThan)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async clear(ref: ConversationRef): Promise<void> {
    await this.db.deleteFrom('conversations').where('id', '=', conversationId(ref)).execute();
  }
}
