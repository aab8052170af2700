import { useEffect, useState } from 'react';
import type { Flow } from '../../shared/flow/schema';
import { Modal } from '../ui/Modal';
import { FlowNameField } from './FlowNameField';
import { FlowThumbnail } from './FlowThumbnail';
import { newFlow, slugify } from './flowFiles';
import type { FlowTemplate } from './templates';

type TemplatesModule = typeof import('./templates');

/** What the dialog asks the page to create: the flow, and the flows it calls that must come along. */
export interface NewFlowChoice {
  name: string;
  /** Null: blank. */
  template: Flow | null;
  /** Template flows the template calls (created first when the folder lacks them). */
  called: Flow[];
}

const BLANK_PICTURE = newFlow('blank', 'Blank');

/**
 * New flow: a name and a starting point, either blank (an Inputs and an Outputs node) or
 * one of the example flows, each shown with a picture drawn from its graph and the first
 * sentence of its description.
 */
export function NewFlowDialog({ onClose, onCreate }: { onClose(): void; onCreate(choice: NewFlowChoice): void }) {
  const [name, setName] = useState('');
  const [mod, setMod] = useState<TemplatesModule | null>(null);
  const [picked, setPicked] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    void import('./templates').then((m) => alive && setMod(m));
    return () => {
      alive = false;
    };
  }, []);
  const template: FlowTemplate | undefined = mod?.templates.find((t) => t.flow.id === picked);
  const called = template && mod ? mod.calledTemplates(template.flow) : [];
  const finalName = name.trim() || template?.flow.name || '';
  const submit = () => {
    if (!finalName) return;
    onCreate({ name: finalName, template: template?.flow ?? null, called });
  };
  return (
    <Modal
      title="New flow"
      onClose={onClose}
      testId="new-flow-dialog"
      footer={
        <button className="btn btn-primary" disabled={!finalName} onClick={submit} data-testid="dialog-ok">
          Create
        </button>
      }
    >
      <FlowNameField value={name} placeholder={template?.flow.name ?? ''} onChange={setName} onEnter={submit} />
      <p className="muted small">
        Saved as <code>{slugify(finalName || 'untitled')}.flow.json</code>.{' '}
        {template
          ? `A copy of the “${template.flow.name}” example${called.length ? `; the flows it calls come along if missing: ${called.map((f) => f.id).join(', ')}` : ''}.`
          : 'It starts with an Inputs node (a question input) and an Outputs node (an answer output).'}
      </p>
      <div className="template-gallery" role="radiogroup" aria-label="Start from">
        <TemplateCard
          id="blank"
          title="Blank"
          sentence="An Inputs and an Outputs node: add a prompt between them."
          flow={BLANK_PICTURE}
          checked={picked === null}
          onPick={() => setPicked(null)}
        />
        {mod === null ? <p className="muted small">Loading the examples…</p> : null}
        {mod?.templates.map((t) => (
          <TemplateCard
            key={t.flow.id}
            id={t.flow.id}
            title={t.flow.name}
            sentence={t.sentence}
            flow={t.flow}
            checked={picked === t.flow.id}
            onPick={() => setPicked(t.flow.id)}
          />
        ))}
      </div>
    </Modal>
  );
}

function TemplateCard(props: {
  id: string;
  title: string;
  sentence: string;
  flow: Flow;
  checked: boolean;
  onPick(): void;
}) {
  return (
    <button
      type="button"
      role="radio"
      aria-checked={props.checked}
      className={`template-card ${props.checked ? 'is-picked' : ''}`}
      onClick={props.onPick}
      data-testid={`template-${props.id}`}
    >
      <FlowThumbnail flow={props.flow} label={`The graph of ${props.title}`} />
      <span className="template-title">{props.title}</span>
      <span className="template-sentence">{props.sentence}</span>
    </button>
  );
}
