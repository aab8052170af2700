/**
 * The Knowledge page: knowledge bases (list, create, delete), upload with per-file
 * progress and errors, documents with chunk preview, and a query box.
 */
import { Fragment, useCallback, useEffect, useState } from 'react';
import { kbApi, type DocumentInfo, type Hit, type KnowledgeBaseInfo } from './api';
import { QueryPanel } from './QueryPanel';
import { UploadList } from './UploadList';
import './knowledge.css';

function CreateForm({ onCreated }: { onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [chunkSize, setChunkSize] = useState(1000);
  const [overlap, setOverlap] = useState(150);
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
    <div className="kb-create">
      <input
        data-testid="kb-new-name"
        placeholder="new-knowledge-base"
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <label>
        chunk <input type="number" value={chunkSize} onChange={(e) => setChunkSize(Number(e.target.value))} />
      </label>
      <label>
        overlap <input type="number" value={overlap} onChange={(e) => setOverlap(Number(e.target.value))} />
      </label>
      <input
        placeholder="embedding (optional): openai:text-embedding-3-small"
        value={embedding}
        onChange={(e) => setEmbedding(e.target.value)}
      />
      <button data-testid="kb-create" onClick={() => void submit()} disabled={!name.trim()}>
        Create
      </button>
      {error && <p className="kb-error">{error}</p>}
    </div>
  );
}

function Documents({ kb, docs, onChanged }: { kb: string; docs: DocumentInfo[]; onChanged: () => void }) {
  const [open, setOpen] = useState<string>();
  const [chunks, setChunks] = useState<Hit[]>([]);
  useEffect(() => {
    if (open) void kbApi.chunks(kb, open).then(setChunks, () => setChunks([]));
  }, [kb, open]);
  if (!docs.length) return <p className="kb-hint">No documents yet.</p>;
  return (
    <table className="kb-docs" data-testid="kb-documents">
      <thead>
        <tr>
          <th>source</th>
          <th>status</th>
          <th>chunks</th>
          <th>size</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {docs.map((d) => (
          <Fragment key={d.id}>
            <tr className={open === d.id ? 'open' : ''}>
              <td>
                <button className="kb-link" onClick={() => setOpen(open === d.id ? undefined : d.id)}>
                  {d.source}
                </button>
              </td>
              <td className={`kb-status-${d.status}`}>{d.error ?? d.status}</td>
              <td>{d.chunks}</td>
              <td>{(d.bytes / 1024).toFixed(1)} KB</td>
              <td>
                <button onClick={() => void kbApi.removeDocument(kb, d.id).then(onChanged)} title="delete document">
                  Delete
                </button>
              </td>
            </tr>
            {open === d.id && (
              <tr>
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
  );
}

export default function KnowledgePage() {
  const [kbs, setKbs] = useState<KnowledgeBaseInfo[]>([]);
  const [selected, setSelected] = useState<string>();
  const [docs, setDocs] = useState<DocumentInfo[]>([]);
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
        <h2>Knowledge bases</h2>
        {error && <p className="kb-error">{error}</p>}
        <ul>
          {kbs.map((k) => (
            <li key={k.name} className={k.name === selected ? 'active' : ''} data-testid={`kb-item-${k.name}`}>
              <button className="kb-link" onClick={() => setSelected(k.name)}>
                {k.name}
              </button>
              <span className="kb-hint">
                {k.documents} docs · {k.chunks} chunks
              </span>
            </li>
          ))}
        </ul>
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
              <h2>{kb.name}</h2>
              <span className="kb-hint">
                chunks of {kb.config.chunkSize} (overlap {kb.config.chunkOverlap}) ·{' '}
                {kb.config.embedding ? `${kb.config.embedding} (${kb.dimensions} dims)` : 'BM25 only'}
              </span>
              <button
                onClick={() => {
                  if (confirm(`Delete knowledge base ${kb.name} and its index?`))
                    void kbApi.remove(kb.name).then(() => {
                      setSelected(undefined);
                      refresh();
                    });
                }}
              >
                Delete knowledge base
              </button>
            </header>
            <UploadList kb={kb.name} onChanged={refreshDocs} />
            <h3>Documents</h3>
            <Documents kb={kb.name} docs={docs} onChanged={refreshDocs} />
            <QueryPanel kb={kb.name} hasVectors={Boolean(kb.config.embedding)} />
          </>
        ) : (
          <p className="kb-hint">Create a knowledge base to start.</p>
        )}
      </main>
    </div>
  );
}
