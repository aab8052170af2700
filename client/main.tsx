import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './ui/styles.css';
import { App } from './app/App';
import { ErrorBoundary } from './app/ErrorBoundary';
import { useUi } from './store/uiStore';

document.documentElement.dataset.theme = useUi.getState().theme;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ErrorBoundary label="Braid">
      <App />
    </ErrorBoundary>
  </StrictMode>,
);
