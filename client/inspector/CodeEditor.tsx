import './monaco-setup';
import Editor from '@monaco-editor/react';
import { useUi } from '../store/uiStore';

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
