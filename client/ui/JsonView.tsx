import { useMemo, useState } from 'react';
import { jsonPreview, sizeLabel } from './jsonPreview';

/**
 * A JSON value (a string as it is) in a <pre>, bounded: a long one shows its head (`max`
 * characters, default jsonPreview's) and a button for the rest.
 */
export function JsonView({ value, max }: { value: unknown; max?: number }) {
  // "Show all" holds for the value it was clicked on: the panel reuses this component when
  // another span is selected, whose huge value must start bounded again.
  const [expanded, setExpanded] = useState<{ value: unknown } | null>(null);
  const full = expanded !== null && expanded.value === value;
  const p = useMemo(() => jsonPreview(value, max, full), [value, max, full]);
  return (
    <>
      <pre className="json">{p.text}</pre>
      {p.hidden > 0 ? (
        <p className="muted small" data-testid="json-truncated">
          … {sizeLabel(p.hidden)} more of {sizeLabel(p.total)}{' '}
          <button type="button" className="linklike" onClick={() => setExpanded({ value })}>
            Show all
          </button>
        </p>
      ) : null}
    </>
  );
}
