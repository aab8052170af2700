import { useId } from 'react';
import { useCatalog } from '../store/catalog';

/** Suggestions per provider; the server says which providers are configured (GET /api/providers). */
const SUGGESTED: Record<string, string[]> = {
  openai: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1', 'o4-mini'],
  anthropic: ['claude-3-5-haiku-latest', 'claude-sonnet-4-0', 'claude-opus-4-0'],
  ollama: ['llama3.2', 'qwen2.5', 'mistral'],
};

/** `provider:model` with suggestions, configured providers first, and a warning for unconfigured ones. */
export function ModelPicker({ value, onChange }: { value: string; onChange(v: string): void }) {
  const providers = useCatalog((s) => s.providers);
  const id = useId();
  const ordered = providers.slice().sort((a, b) => Number(b.configured) - Number(a.configured));
  const provider = value.split(':')[0];
  const known = providers.find((p) => p.name === provider);
  return (
    <>
      <input
        className="input mono"
        aria-label="model"
        list={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder="openai:gpt-4o-mini"
      />
      <datalist id={id}>
        {ordered.flatMap((p) =>
          (SUGGESTED[p.name] ?? []).map((m) => (
            <option key={`${p.name}:${m}`} value={`${p.name}:${m}`}>
              {p.configured ? 'configured' : 'not configured'}
            </option>
          )),
        )}
      </datalist>
      {ordered.length ? (
        <div className="field-help">
          {ordered.map((p) => (
            <span key={p.name} className={p.configured ? 'st-succeeded' : 'muted'} style={{ marginRight: 8 }}>
              {p.configured ? '●' : '○'} {p.name}
            </span>
          ))}
        </div>
      ) : null}
      {known && !known.configured ? (
        <div className="field-help warn">
          {provider} is not configured on the server (set {known.env.join(' or ')}).
        </div>
      ) : null}
      {providers.length > 0 && !known && provider ? (
        <div className="field-help warn">Unknown provider “{provider}”.</div>
      ) : null}
    </>
  );
}
