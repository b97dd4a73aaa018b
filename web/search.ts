/**
 * The search panel: a query over the events of the recordings the list's
 * current filter selects, decrypted here one recording at a time, with
 * progress ("12 of 40 recordings") and a cancel button. Each hit names the
 * user, target, time and a snippet, and opens the player at its moment.
 * The gateway is told only that a search ran over N recordings (one audit
 * line); the query never leaves the page.
 */
import type { AuditorKeyPair } from '../src/seal/keys.js';
import type { Sodium } from '../src/seal/sodium.js';
import type { RecordingSummary } from '../src/store/types.js';
import * as api from './api.js';
import { openRecording } from './recording-source.js';
import { runSearch, type SearchHit, type SearchResult } from './search-core.js';

export interface SearchPanel {
  /** The listing query of the filter form as it stands. */
  filters(): URLSearchParams;
  key(): AuditorKeyPair | null;
  sodium(): Promise<Sodium>;
  /** Opens the player of `id` at `seconds`. */
  openAt(id: string, seconds: number): void;
  /** Reports an error the way the rest of the page does. */
  fail(error: unknown): void;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function offset(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `+${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function hitRow(hit: SearchHit, panel: SearchPanel): HTMLLIElement {
  const li = document.createElement('li');
  const r = hit.recording;
  const at = new Date(Date.parse(r.startedAt) + hit.t);
  const where = document.createElement('span');
  where.className = 'hit-where';
  where.textContent = `${r.user}@${r.target} (${r.protocol}) ${at.toLocaleString()} ${offset(hit.t)}`;
  const what = document.createElement('code');
  what.className = 'hit-snippet';
  what.textContent = `${hit.type}: ${hit.snippet}`;
  const open = document.createElement('button');
  open.textContent = 'Open';
  open.dataset.id = r.id;
  open.dataset.t = String(hit.t);
  open.addEventListener('click', () => panel.openAt(r.id, hit.t / 1000));
  li.append(open, ' ', where, ' ', what);
  return li;
}

function summary(r: SearchResult): string {
  const hits = `${r.hits} hit${r.hits === 1 ? '' : 's'}`;
  const failed = r.failed.length > 0 ? `; ${r.failed.length} could not be read (${r.failed.map((f) => `${f.id}: ${f.error}`).join('; ')})` : '';
  if (r.stopped === 'cancelled') return `Cancelled after ${r.searched} of ${r.total} recordings: ${hits}${failed}.`;
  if (r.stopped === 'too many hits') return `Stopped at ${hits} after ${r.searched} of ${r.total} recordings: narrow the filter or the query${failed}.`;
  return `${hits} in ${r.total} recording${r.total === 1 ? '' : 's'}${failed}.`;
}

export function wireSearch(panel: SearchPanel): void {
  let running: AbortController | undefined;
  const cancel = $<HTMLButtonElement>('search-cancel');
  cancel.addEventListener('click', () => running?.abort());
  $<HTMLFormElement>('search').addEventListener('submit', (ev) => {
    ev.preventDefault();
    running?.abort();
    const query = String(new FormData(ev.target as HTMLFormElement).get('q') ?? '');
    const key = panel.key();
    if (!key) return panel.fail(new Error('open your key file first'));
    const controller = new AbortController();
    running = controller;
    $('search-hits').replaceChildren();
    cancel.hidden = false;
    const progress = $('search-progress');
    progress.textContent = 'Listing the recordings...';
    const sealed = (r: RecordingSummary): boolean => r.recipients.includes(key.kid);
    let unsealed = 0;
    void (async () => {
      const s = await panel.sodium();
      return runSearch(
        query,
        {
          recordings: async () => {
            const all = await api.allRecordings(panel.filters());
            unsealed = all.filter((r) => !sealed(r)).length;
            return all.filter(sealed);
          },
          starting: (total) => api.auditEvent({ action: 'search', recordings: total }),
          events: (r) => readEvents(s, key, r, controller.signal),
          progress: (done, total) => {
            progress.textContent = `${done} of ${total} recordings`;
          },
          hit: (hit) => $('search-hits').append(hitRow(hit, panel)),
        },
        controller.signal,
      );
    })()
      .then((r) => {
        progress.textContent = summary(r) + (unsealed > 0 ? ` ${unsealed} recording${unsealed === 1 ? ' is' : 's are'} not sealed to your key and were not searched.` : '');
      })
      .catch((err: unknown) => {
        progress.textContent = '';
        panel.fail(err);
      })
      .finally(() => {
        if (running === controller) {
          running = undefined;
          cancel.hidden = true;
        }
      });
  });
}

/** The events stream of one recording, the reader closed when the search moves on. */
async function* readEvents(s: Sodium, key: AuditorKeyPair, r: RecordingSummary, signal: AbortSignal) {
  if (signal.aborted) return;
  const reader = await openRecording(s, key, await api.recording(r.id));
  try {
    yield* reader.frames('events');
  } finally {
    reader.close();
  }
}
