/**
 * The Knowledge page: knowledge bases (list, create, delete), upload with per-file
 * progress and errors, documents with chunk preview, and a query box.
 */
import { NumberInput } from '../ui/NumberInput';
import { Fragment, useCallback, useEffect, useState } from 'react';
import { kbApi, type KnowledgeBaseInfo, type KnowledgeChunk, type KnowledgeDocumentInfo } from './api';
import { QueryPanel } from './QueryPanel';
import { UploadList } from './UploadList';
import { Icon } from '../ui/Icon';
import './knowledge.css';

function CreateForm({ onCreated }: { onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [chunkSize, setChunkSize] = useState(1000);
  const [overlap, setOverlap] = useState(150);
  const [sizeOk, setSizeOk] = useState(true);
  const [overlapOk, setOverlapOk] = useState(true);
  const [embedding, setEmbedding] = useState('');
  const [error, setError] = useState<string>();
  const submit = async () => {
    setError(undefined);
    try {
      const kb = await kbApi.create({
        name: name.trim(),
        chunkSize,
        chunkOverlap: overlap,
        ...(embedding.trim() ? { embedding: embedding.trim() } : {}),
      });
      setName('');
      onCreated(kb.name);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <form
      className="kb-create"
      aria-label="New knowledge base"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) void submit();
      }}
    >
      <h4>New knowledge base</h4>
      <label className="field">
        <span className="field-label">Name</span>
        <input
          className="input"
          data-testid="kb-new-name"
          placeholder="new-knowledge-base"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
      </label>
      <div className="kb-create-pair">
        <label className="field">
          <span className="field-label">Chunk size</span>
          <NumberInput
            label="Chunk size"
            integer
            min={1}
            value={chunkSize}
            onChange={(n) => n !== undefined && setChunkSize(n)}
            onValidity={setSizeOk}
          />
        </label>
        <label className="field">
          <span className="field-label">Overlap</span>
          <NumberInput
            label="Overlap"
            integer
            min={0}
            value={overlap}
            onChange={(n) => n !== undefined && setOverlap(n)}
            onValidity={setOverlapOk}
          />
        </label>
      </div>
      <label className="field">
        <span className="field-label">Embedding model (optional)</span>
        <input
          className="input"
          placeholder="openai:text-embedding-3-small"
          value={embedding}
          onChange={(e) => setEmbedding(e.target.value)}
        />
        <span className="field-help">Leave empty for keyword (BM25) search only.</span>
      </label>
      <button
        className="btn btn-primary kb-create-btn"
        type="submit"
        data-testid="kb-create"
        disabled={!name.trim() || !sizeOk || !overlapOk}
      >
        <Icon name="plus" size={14} /> Create
      </button>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function Documents({ kb, docs, onChanged }: { kb: string; docs: KnowledgeDocumentInfo[]; onChanged: () => void }) {
  const [open, setOpen] = useState<string>();
  const [chunks, setChunks] = useState<KnowledgeChunk[]>([]);
  useEffect(() => {
    if (open) void kbApi.chunks(kb, open).then(setChunks, () => setChunks([]));
  }, [kb, open]);
  if (!docs.length)
    return (
      <div className="kb-empty-docs">
        <b>No documents yet.</b>
        <span className="muted">Upload files or fetch URLs above; each one is split into chunks and indexed.</span>
      </div>
    );
  return (
    <div className="kb-card kb-table-wrap">
      <table className="table kb-docs" data-testid="kb-documents">
        <thead>
          <tr>
            <th>source</th>
            <th>status</th>
            <th className="kb-num">chunks</th>
            <th className="kb-num">size</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {docs.map((d) => (
            <Fragment key={d.id}>
              <tr className={open === d.id ? 'open' : ''}>
                <td>
                  <button
                    className="kb-link"
                    aria-expanded={open === d.id}
                    onClick={() => setOpen(open === d.id ? undefined : d.id)}
                  >
                    <span className="kb-caret">{open === d.id ? '▾' : '▸'}</span>
                    {d.source}
                  </button>
                </td>
                <td>
                  <span className={`kb-badge kb-status-${d.status}`}>{d.status}</span>
                  {d.error && <div className="kb-doc-error">{d.error}</div>}
                </td>
                <td className="kb-num">{d.chunks}</td>
                <td className="kb-num">{(d.bytes / 1024).toFixed(1)} KB</td>
                <td className="kb-actions">
                  <button
                    className="btn btn-small btn-danger"
                    onClick={() => void kbApi.removeDocument(kb, d.id).then(onChanged)}
                    title="delete document"
                  >
                    Delete
                  </button>
                </td>
              </tr>
              {open === d.id && (
                <tr className="kb-chunks-row">
                  <td colSpan={5}>
                    <ol className="kb-chunks" data-testid="kb-chunks">
                      {chunks.map((c) => (
                        <li key={c.id}>
                          <div className="kb-hit-head">
                            {c.metadata.page !== undefined && <span>p. {String(c.metadata.page)}</span>}
                            {typeof c.metadata.heading === 'string' && (
                              <span className="kb-heading">{c.metadata.heading}</span>
                            )}
                            <span>{c.text.length} chars</span>
                          </div>
                          <pre>{c.text}</pre>
                        </li>
                      ))}
                    </ol>
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function KnowledgePage() {
  const [kbs, setKbs] = useState<KnowledgeBaseInfo[]>([]);
  const [selected, setSelected] = useState<string>();
  const [docs, setDocs] = useState<KnowledgeDocumentInfo[]>([]);
  const [error, setError] = useState<string>();

  const refresh = useCallback(() => {
    kbApi.list().then(
      (list) => {
        setKbs(list);
        setSelected((s) => s ?? list[0]?.name);
      },
      (e: Error) => setError(e.message),
    );
  }, []);
  useEffect(refresh, [refresh]);
  const refreshDocs = useCallback(() => {
    if (selected) void kbApi.documents(selected).then(setDocs, () => setDocs([]));
    refresh();
  }, [selected, refresh]);
  useEffect(() => {
    if (selected) void kbApi.documents(selected).then(setDocs, () => setDocs([]));
  }, [selected]);

  const kb = kbs.find((k) => k.name === selected);
  return (
    <div className="kb-page" data-testid="knowledge-page">
      <aside className="kb-list">
        <h4>Knowledge bases</h4>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        {kbs.length > 0 && (
          <ul>
            {kbs.map((k) => (
              <li key={k.name} className={k.name === selected ? 'active' : ''} data-testid={`kb-item-${k.name}`}>
                <button className="kb-link kb-item-name" onClick={() => setSelected(k.name)}>
                  <Icon name="book" size={14} />
                  {k.name}
                </button>
                <span className="kb-hint">
                  {k.documents} {k.documents === 1 ? 'doc' : 'docs'} · {k.chunks} {k.chunks === 1 ? 'chunk' : 'chunks'}
                </span>
              </li>
            ))}
          </ul>
        )}
        <CreateForm
          onCreated={(name) => {
            setSelected(name);
            refresh();
          }}
        />
      </aside>
      <main className="kb-main">
        {kb ? (
          <>
            <header className="kb-header">
              <div className="kb-title">
                <h1>{kb.name}</h1>
                <span className="kb-hint">
                  chunks of {kb.config.chunkSize} (overlap {kb.config.chunkOverlap}) ·{' '}
                  {kb.config.embedding ? `${kb.config.embedding} (${kb.dimensions} dims)` : 'BM25 only'}
                </span>
              </div>
              <button
                className="btn btn-danger"
                onClick={() => {
                  if (confirm(`Delete knowledge base ${kb.name} and its index?`))
                    void kbApi.remove(kb.name).then(() => {
                      setSelected(undefined);
                      refresh();
                    });
                }}
              >
                <Icon name="trash" size={14} /> Delete knowledge base
              </button>
            </header>
            <section className="kb-section">
              <h4>Add documents</h4>
              <UploadList kb={kb.name} onChanged={refreshDocs} />
            </section>
            <section className="kb-section">
              <h4>Documents</h4>
              <Documents kb={kb.name} docs={docs} onChanged={refreshDocs} />
            </section>
            <QueryPanel kb={kb.name} hasVectors={Boolean(kb.config.embedding)} />
          </>
        ) : (
          <div className="empty-page kb-empty">
            <span className="kb-empty-icon">
              <Icon name="book" size={28} />
            </span>
            <h2>No knowledge base yet</h2>
            <p className="muted">
              A knowledge base is a searchable collection of your documents. Braid splits each file into chunks and
              indexes them, so a <b>retrieval</b> node in a flow can find the passages that answer a question and hand
              them to a prompt.
            </p>
            <ol className="kb-steps">
              <li>Name it and create it with the form on the left.</li>
              <li>Upload files (txt, md, html, pdf, docx, csv, jsonl) or fetch URLs.</li>
              <li>Try a query here, then pick it in a flow&apos;s retrieval node.</li>
            </ol>
          </div>
        )}
      </main>
    </div>
  );
}
