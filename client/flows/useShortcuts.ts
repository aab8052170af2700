import { useEffect } from 'react';
import { useReactFlow } from '@xyflow/react';
import { useDoc, undo, redo } from '../store/docStore';
import { useUi } from '../store/uiStore';
import { useRun } from '../store/runStore';
import { saveCurrent } from '../store/persist';
import { copySelection, duplicateSelection, paste } from '../canvas/clipboard';
import { autoLayout } from '../canvas/layout';
import { startRun } from '../panels/runController';
import { FIT_VIEW_ANIMATED } from '../canvas/fit';
import { modalOpen } from '../ui/Modal';

function inEditable(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el?.closest?.('input, textarea, select, [contenteditable="true"], .monaco-editor');
}

/** Editor shortcuts (see the help dialog). Text fields keep their own keys, except Ctrl/Cmd+S. */
export function useShortcuts(): void {
  const rf = useReactFlow();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const k = e.key.toLowerCase();
      if (mod && k === 's') {
        e.preventDefault();
        void saveCurrent();
        return;
      }
      if (mod && e.key === 'Enter') {
        e.preventDefault();
        void startRun(useRun.getState().inputs);
        return;
      }
      if (inEditable(e.target) || modalOpen()) return;
      if (mod && k === 'z') {
        e.preventDefault();
        if (e.shiftKey) redo();
        else undo();
      } else if (mod && k === 'y') {
        e.preventDefault();
        redo();
      } else if (mod && k === 'c') {
        if (copySelection()) e.preventDefault();
      } else if (mod && k === 'v') {
        if (paste().length) e.preventDefault();
      } else if (mod && k === 'd') {
        e.preventDefault();
        duplicateSelection();
      } else if (mod && k === 'a') {
        e.preventDefault();
        useDoc.getState().selectOnly(useDoc.getState().nodes.map((n) => n.id));
      } else if (!mod && (e.key === 'Delete' || e.key === 'Backspace')) {
        e.preventDefault();
        useDoc.getState().deleteSelected();
      } else if (e.key === 'Escape') {
        useDoc.getState().selectOnly([]);
      } else if (e.key === '?') {
        useUi.getState().setShowShortcuts(true);
      } else if (e.shiftKey && (e.code === 'KeyL' || k === 'l') && !mod) {
        void autoLayout().then(() => requestAnimationFrame(() => void rf.fitView(FIT_VIEW_ANIMATED)));
      } else if (e.shiftKey && e.code === 'Digit1') {
        void rf.fitView(FIT_VIEW_ANIMATED);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [rf]);
}
