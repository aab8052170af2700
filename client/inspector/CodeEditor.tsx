import './monaco-setup';
import { useEffect, useState } from 'react';
import Editor from '@monaco-editor/react';
import { useUi } from '../store/uiStore';
import { isDragging } from '../store/docStore';

export type EditorLanguage = 'mustache' | 'javascript' | 'json' | 'jsonata';

export interface CodeEditorProps {
  value: string;
  language: EditorLanguage;
  onChange(value: string): void;
  height?: number;
  ariaLabel?: string;
}

/** A bundled Monaco editor (lazy-loaded with the inspector's code fields). */
export default function CodeEditor({ value, language, onChange, height = 120, ariaLabel }: CodeEditorProps) {
  const theme = useUi((s) => s.theme);
  // Create the editor when the browser is idle: selecting a node (e.g. at the start of a
  // drag) must not spend a frame building Monaco. Until then the text is shown as is.
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let idle: number | undefined;
    const attempt = () => {
      // Never while a node is being dragged (it was probably selected by that very press).
      if (isDragging()) {
        timer = setTimeout(attempt, 150);
        return;
      }
      if (!window.requestIdleCallback) return setReady(true);
      idle = window.requestIdleCallback(() => (isDragging() ? attempt() : setReady(true)), { timeout: 400 });
    };
    timer = setTimeout(attempt, 0);
    return () => {
      clearTimeout(timer);
      if (idle !== undefined) window.cancelIdleCallback(idle);
    };
  }, []);
  if (!ready) {
    return (
      <div className="code-editor nokey" style={{ height }} data-language={language}>
        <pre className="code-placeholder">{value}</pre>
      </div>
    );
  }
  return (
    // `nokey`: React Flow must not treat keys typed here (e.g. Space) as canvas shortcuts.
    <div className="code-editor nokey" style={{ height }} data-language={language}>
      <Editor
        value={value}
        language={language}
        theme={theme === 'dark' ? 'braid-dark' : 'braid-light'}
        onChange={(v) => onChange(v ?? '')}
        loading={<div className="muted small pad">Loading editor…</div>}
        options={{
          minimap: { enabled: false },
          lineNumbers: language === 'javascript' || language === 'json' ? 'on' : 'off',
          wordWrap: 'on',
          fontSize: 12.5,
          scrollBeyondLastLine: false,
          automaticLayout: true,
          tabSize: 2,
          folding: false,
          renderLineHighlight: 'none',
          overviewRulerLanes: 0,
          scrollbar: { verticalScrollbarSize: 8, horizontalScrollbarSize: 8 },
          ariaLabel: ariaLabel ?? `${language} editor`,
          fixedOverflowWidgets: true,
        }}
      />
    </div>
  );
}
