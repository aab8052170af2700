import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../shared/flow/chat';
import { CHAT_KEY_PREFIX, MAX_CHARS, MAX_TURNS, capTurns, loadChat, saveChat, type ChatStorage } from './chatHistory';

function memoryStorage(): ChatStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

const u = (content: string): ChatMessage => ({ role: 'user', content });
const a = (content: string): ChatMessage => ({ role: 'assistant', content });

describe('chat history', () => {
  it('keeps a conversation per flow (Japanese included) and a pending message apart', () => {
    const s = memoryStorage();
    saveChat(s, 'qa', { turns: [u('こんにちは'), a('Echo: こんにちは')] });
    saveChat(s, 'other', { turns: [u('hi')], pending: '途中の質問' });
    expect(loadChat(s, 'qa')).toEqual({ turns: [u('こんにちは'), a('Echo: こんにちは')] });
    expect(loadChat(s, 'other')).toEqual({ turns: [u('hi')], pending: '途中の質問' });
    expect(loadChat(s, 'missing')).toEqual({ turns: [] });
    // A message whose run failed keeps its reason, so a reload still says why there is no reply.
    saveChat(s, 'failed', { turns: [u('質問')], error: 'answer: 接続できません' });
    expect(loadChat(s, 'failed')).toEqual({ turns: [u('質問')], error: 'answer: 接続できません' });
    saveChat(s, 'qa', { turns: [] });
    expect(s.map.has(`${CHAT_KEY_PREFIX}qa`)).toBe(false);
  });

  it('reads damaged or foreign data as an empty chat, dropping malformed turns', () => {
    const s = memoryStorage();
    s.setItem(`${CHAT_KEY_PREFIX}x`, '{not json');
    expect(loadChat(s, 'x')).toEqual({ turns: [] });
    s.setItem(
      `${CHAT_KEY_PREFIX}y`,
      JSON.stringify({ turns: [u('ok'), { role: 'tool', content: 'no' }, { role: 'user' }, a('fine')], pending: 3 }),
    );
    expect(loadChat(s, 'y')).toEqual({ turns: [u('ok'), a('fine')] });
  });

  it('caps what it keeps: the newest turns within the size and count limits, never a reply without its question', () => {
    const big = 'あ'.repeat(MAX_CHARS / 4);
    const turns = [u(big), a(big), u(big), a(big), u('short'), a('short')];
    const kept = capTurns(turns);
    expect(kept[0]?.role).toBe('user');
    expect(kept.reduce((n, t) => n + t.content.length, 0)).toBeLessThanOrEqual(MAX_CHARS);
    expect(kept.slice(-2)).toEqual([u('short'), a('short')]);
    expect(kept).toHaveLength(4);
    const many = Array.from({ length: MAX_TURNS + 11 }, (_, i) => (i % 2 ? a(`r${i}`) : u(`q${i}`)));
    const cut = capTurns(many);
    expect(cut.length).toBeLessThanOrEqual(MAX_TURNS);
    expect(cut[0]?.role).toBe('user');
    expect(cut[cut.length - 1]).toEqual(many[many.length - 1]);
    const s = memoryStorage();
    saveChat(s, 'big', { turns });
    expect(loadChat(s, 'big').turns).toEqual(kept);
  });

  it('a full or blocked storage loses the chat quietly, never throws', () => {
    const full: ChatStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => undefined,
    };
    expect(() => saveChat(full, 'qa', { turns: [u('x')] })).not.toThrow();
    expect(loadChat(full, 'qa')).toEqual({ turns: [] });
  });
});
