/** Drop zone + one row per file: upload bytes, then ingest progress, then done or the error. */
import { plural } from '../ui/plural';
import { useState } from 'react';
import { Icon } from '../ui/Icon';
import { kbApi, type IngestJobInfo } from './api';
import { KNOWLEDGE_MAX_FILE_BYTES } from '../../shared/api/knowledge';

export interface UploadRow {
  key: string;
  name: string;
  phase: 'uploading' | 'ingesting' | 'done' | 'unchanged' | 'failed';
  progress: number;
  message?: string;
}

async function followJob(kb: string, job: IngestJobInfo, update: (row: Partial<UploadRow>) => void): Promise<void> {
  let j = job;
  for (;;) {
    const item = j.items[0];
    if (item && item.status !== 'queued' && item.status !== 'running') {
      if (item.status === 'failed') update({ phase: 'failed', progress: 1, message: item.error?.message ?? 'failed' });
      else
        update({
          phase: item.status === 'unchanged' ? 'unchanged' : 'done',
          progress: 1,
          message: plural(item.chunks ?? 0, 'chunk'),
        });
      return;
    }
    update({ phase: 'ingesting', progress: item?.progress ?? 0 });
    await new Promise((r) => setTimeout(r, 400));
    j = await kbApi.job(kb, job.id);
  }
}

export function UploadList({ kb, onChanged }: { kb: string; onChanged: () => void }) {
  const [rows, setRows] = useState<UploadRow[]>([]);
  const [over, setOver] = useState(false);
  const [urls, setUrls] = useState('');

  const patch = (key: string, p: Partial<UploadRow>) =>
    setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...p } : r)));

  const send = (files: File[]) => {
    const fresh = files.map((f, i) => ({
      key: `${Date.now()}-${i}-${f.name}`,
      name: f.name,
      phase: 'uploading' as const,
      progress: 0,
    }));
    setRows((rs) => [...fresh, ...rs].slice(0, 50));
    fresh.forEach((row, i) => {
      // The server refuses larger files anyway; saying so here spares a long upload that a
      // closed connection would turn into an unreadable network error.
      if (files[i].size > KNOWLEDGE_MAX_FILE_BYTES) {
        const mb = Math.round(KNOWLEDGE_MAX_FILE_BYTES / (1024 * 1024));
        patch(row.key, {
          phase: 'failed',
          progress: 1,
          message: `${files[i].name} is larger than ${mb} MB: split it into smaller files`,
        });
        return;
      }
      kbApi
        .upload(kb, files[i], (p) => patch(row.key, { progress: p }))
        .then((job) => followJob(kb, job, (p) => patch(row.key, p)))
        .catch((e: Error) => patch(row.key, { phase: 'failed', progress: 1, message: e.message }))
        .finally(onChanged);
    });
  };

  const sendUrls = () => {
    const list = urls.split(/\s+/).filter(Boolean);
    if (!list.length) return;
    setUrls('');
    list.forEach((u, i) => {
      const key = `${Date.now()}-u${i}`;
      setRows((rs) => [{ key, name: u, phase: 'ingesting' as const, progress: 0 }, ...rs]);
      kbApi
        .urls(kb, [u])
        .then((job) => followJob(kb, job, (p) => patch(key, p)))
        .catch((e: Error) => patch(key, { phase: 'failed', progress: 1, message: e.message }))
        .finally(onChanged);
    });
  };

  return (
    <div className="kb-upload">
      <label
        className={`kb-drop${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          send([...e.dataTransfer.files]);
        }}
      >
        <span className="kb-drop-title">
          <Icon name="upload" size={16} /> Drop files here or <u>click to choose</u>
        </span>
        <span className="kb-hint">
          txt, md, html, pdf, docx, csv, jsonl · up to {Math.round(KNOWLEDGE_MAX_FILE_BYTES / (1024 * 1024))} MB each
        </span>
        <input
          data-testid="kb-upload"
          type="file"
          multiple
          hidden
          onChange={(e) => send([...(e.target.files ?? [])])}
        />
      </label>
      <div className="kb-urls">
        <input
          className="input"
          aria-label="URLs to fetch"
          placeholder="https://… (space-separated URLs)"
          value={urls}
          onChange={(e) => setUrls(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && sendUrls()}
        />
        <button className="btn" onClick={sendUrls} disabled={!urls.trim()}>
          <Icon name="download" size={14} /> Fetch
        </button>
      </div>
      {rows.length > 0 && (
        <ul className="kb-progress" data-testid="kb-progress">
          {rows.map((r) => (
            <li key={r.key} className={`kb-${r.phase}`}>
              <span className="kb-name" title={r.name}>
                {r.name}
              </span>
              <progress max={1} value={r.progress} />
              <span className={`kb-phase kb-badge kb-status-${r.phase}`}>
                {r.phase === 'uploading'
                  ? `uploading ${Math.round(r.progress * 100)}%`
                  : r.phase === 'ingesting'
                    ? `ingesting ${Math.round(r.progress * 100)}%`
                    : r.phase}
              </span>
              {r.message && (
                <span className="kb-msg" role={r.phase === 'failed' ? 'alert' : undefined}>
                  {r.message}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
