import { Icon } from './Icon';
import { useUi } from '../store/uiStore';

export function Toasts() {
  const toasts = useUi((s) => s.toasts);
  const dismiss = useUi((s) => s.dismiss);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div
          key={t.id}
          className={`toast toast-${t.kind}`}
          role={t.kind === 'error' ? 'alert' : 'status'}
          onClick={t.kind === 'error' ? undefined : () => dismiss(t.id)}
        >
          <span className="toast-text">{t.text}</span>
          {t.kind === 'error' && (
            <button className="toast-close" aria-label="Dismiss" title="Dismiss" onClick={() => dismiss(t.id)}>
              <Icon name="x" size={12} />
            </button>
          )}
        </div>
      ))}
    </div>
  );
}
