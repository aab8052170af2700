import { useState } from 'react';

/** A code block with a copy button. */
export function CopyBlock({ code, testId }: { code: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard?.writeText(code).then(() => {
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    });
  };
  return (
    <div style={{ position: 'relative' }}>
      <pre
        className="json"
        data-testid={testId}
        style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', paddingRight: 64 }}
      >
        {code}
      </pre>
      <button className="btn btn-small" style={{ position: 'absolute', top: 4, right: 4 }} onClick={copy}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}
