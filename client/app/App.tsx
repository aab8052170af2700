import { lazy, Suspense, useEffect, useMemo, useState, type ComponentType } from 'react';
import { useRoute, navigate } from './router';
import { NAV, pages } from './pages';
import { ErrorBoundary } from './ErrorBoundary';
import { FlowListPage } from '../flows/FlowListPage';
import { Icon } from '../ui/Icon';
import { useUi } from '../store/uiStore';
import { Toasts } from '../ui/Toasts';
import { loadEditor, loadedEditor } from '../flows/editorModule';
import { InboxBadge } from '../inbox/InboxBadge';

/**
 * The editor page without React.lazy: a lazy component suspends, and React holds the reveal
 * of suspended content for up to 300 ms. This renders a placeholder and swaps the page in
 * as soon as its chunk is there (at once when the flow list prefetched it).
 */
function EditorRoute({ flowId, runId }: { flowId: string; runId?: string }) {
  const [Editor, setEditor] = useState(() => loadedEditor());
  const [, setFault] = useState<unknown>(null);
  useEffect(() => {
    if (Editor) return;
    let alive = true;
    loadEditor().then(
      (m) => alive && setEditor(() => m.default),
      (err: unknown) =>
        alive &&
        setFault(() => {
          throw err instanceof Error ? err : new Error(String(err)); // to the ErrorBoundary
        }),
    );
    return () => {
      alive = false;
    };
  }, [Editor]);
  if (!Editor) return <div className="muted pad">Opening {flowId}…</div>;
  return <Editor flowId={flowId} {...(runId ? { runId } : {})} />;
}

function NotAvailable({ title }: { title: string }) {
  return (
    <div className="empty-page">
      <h2>{title}</h2>
      <p className="muted">This part of Braid is not available in this build yet.</p>
    </div>
  );
}

const lazyPages = new Map<string, ComponentType>();
function pageFor(path: string): ComponentType | null {
  const loader = pages[path];
  if (!loader) return null;
  let c = lazyPages.get(path);
  if (!c) {
    c = lazy(loader);
    lazyPages.set(path, c);
  }
  return c;
}

/** The shell: left navigation and the routed page. */
export function App() {
  const route = useRoute();
  const theme = useUi((s) => s.theme);
  const setTheme = useUi((s) => s.setTheme);
  const [section, rest] = useMemo(() => {
    const parts = route.split('/').filter(Boolean);
    return [parts[0] ?? 'flows', parts.slice(1).map(decodeURIComponent)];
  }, [route]);

  let body;
  if (section === 'flows' && rest[0])
    body = (
      <EditorRoute key={rest[0]} flowId={rest[0]} {...(rest[1] === 'runs' && rest[2] ? { runId: rest[2] } : {})} />
    );
  else if (section === 'flows') body = <FlowListPage />;
  else {
    const entry = NAV.find((n) => n.path === section);
    const Page = pageFor(section);
    body = Page ? <Page /> : <NotAvailable title={entry?.title ?? 'Not found'} />;
  }
  return (
    <div className="shell">
      <nav className="nav" aria-label="Main">
        <a className="brand" href="#/flows">
          <span className="brand-mark" />
          Braid
        </a>
        {NAV.map((n) => (
          <a
            key={n.path}
            href={`#/${n.path}`}
            className={`nav-item ${section === n.path ? 'active' : ''}`}
            onClick={(e) => {
              e.preventDefault();
              navigate(`/${n.path}`);
            }}
          >
            <Icon name={n.icon} /> <span>{n.title}</span>
            {n.path === 'inbox' ? <InboxBadge /> : null}
          </a>
        ))}
        <div className="nav-spacer" />
        <button
          className="nav-item"
          onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
          aria-label="Toggle theme"
          title="Toggle light/dark theme"
        >
          <Icon name={theme === 'dark' ? 'sun' : 'moon'} /> <span>{theme === 'dark' ? 'Light' : 'Dark'} theme</span>
        </button>
      </nav>
      <main className="main">
        <ErrorBoundary key={route} label="this page">
          <Suspense fallback={<div className="muted pad">Loading…</div>}>{body}</Suspense>
        </ErrorBoundary>
      </main>
      <Toasts />
    </div>
  );
}
