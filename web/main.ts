/**
 * The console page: sign in, open the key file, list recordings with
 * filters, play a terminal recording. No request leaves the origin; the key
 * and everything decrypted stay in this page's memory.
 */
import * as api from './api.js';
import * as keyring from './keyring.js';
import { idleGaps, mountPlayback, openPlayback, type Playback } from './player.js';
import { toPlayback, toRecording, type IdleMap } from './idle-map.js';
import { msOf } from './seconds.js';
import { showVerdict } from './verify.js';
import { liveSignedIn, wireLive } from './live.js';
import type { Player } from 'asciinema-player';
import type { RecordingSummary } from '../src/store/types.js';
import { closeGraphics, showGraphics } from './canvas-player.js';
import { downloadControls } from './download.js';
import { wireSearch } from './search.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const views = ['sign-in', 'unlock', 'recordings', 'player-view', 'gfx-view', 'live', 'audit-log'] as const;

function show(view: (typeof views)[number]): void {
  for (const v of views) $(v).hidden = v !== view;
}

function status(text: string): void {
  $('status').textContent = text;
}

function signedInAs(m: api.Me | null): void {
  $('who').textContent = m ? `${m.name} (${m.role}, key of ${m.recipient})` : '';
  $('sign-out').hidden = !m;
  $('lock').hidden = !m;
  liveSignedIn(m);
}

let nextCursor: string | null = null;
let player: Player | undefined;
let playback: Playback | undefined;
/** Pauses longer than this play for this long when inactivity is skipped (ms). */
const IDLE_LIMIT = 2000;
/** The pauses of the recording playing, once read; those the player shortens now, if any. */
let idle: Promise<IdleMap> | undefined;
let skipping: IdleMap | undefined;

/** (Re)mounts the terminal player at recording time `at` (s), with the speed and skipping asked for. */
async function mount(at: number): Promise<void> {
  const opened = playback;
  if (!opened) return;
  let map: IdleMap | undefined;
  if ($<HTMLInputElement>('skip-idle').checked) {
    idle ??= idleGaps(opened, IDLE_LIMIT);
    map = await idle.catch((error: unknown) => {
      if (playback === opened) throw error;
      return undefined;
    });
    if (playback !== opened) return;
  }
  player?.dispose();
  skipping = map;
  player = mountPlayback(opened, $('player'), Number($<HTMLSelectElement>('speed').value), at, map);
  // The page's player, for whoever drives the page (its API: getCurrentTime, getDuration, seek).
  Object.assign(window, { ttyPlayer: player });
}

/** The recording time (s) the player is at. */
const playerAt = (): number => (skipping ? toRecording(skipping, msOf(player?.getCurrentTime() ?? 0)) / 1000 : (player?.getCurrentTime() ?? 0));

function filters(): URLSearchParams {
  const form = new FormData($<HTMLFormElement>('filters'));
  const q = new URLSearchParams();
  for (const [k, v] of form) {
    if (typeof v !== 'string' || v === '') continue;
    q.set(k, k === 'from' || k === 'to' ? new Date(v).toISOString() : v);
  }
  return q;
}

function duration(ms: number | null): string {
  if (ms === null) return '';
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m ${s % 60}s`;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** What an auditor calls the state: live while recording, terminated when an operator ended it. */
function state(r: RecordingSummary): string {
  if (r.status === 'recording') return 'live';
  if (r.status === 'complete' && r.endReason === 'terminated') return 'terminated';
  return r.status;
}

function row(r: RecordingSummary): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const text of [new Date(r.startedAt).toLocaleString(), r.user, r.target, r.protocol, r.clientAddress, duration(r.durationMs), size(r.bytes), state(r)]) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  const td = document.createElement('td');
  const button = document.createElement('button');
  button.textContent = 'Play';
  button.dataset.id = r.id;
  button.addEventListener('click', () => guard(() => open(r.id)));
  td.append(button);
  tr.append(td);
  return tr;
}

async function list(more = false): Promise<void> {
  const q = filters();
  if (more && nextCursor) q.set('after', nextCursor);
  const page = await api.listRecordings(q);
  if (!more) $('rows').replaceChildren();
  $('rows').append(...page.recordings.map(row));
  nextCursor = page.next;
  $('more').hidden = nextCursor === null;
  show('recordings');
}

function closePlayer(): void {
  player?.dispose();
  player = undefined;
  Object.assign(window, { ttyPlayer: undefined });
  playback?.close();
  playback = undefined;
  idle = undefined;
  skipping = undefined;
  closeGraphics();
  $('player').replaceChildren();
  $('events').replaceChildren();
  $('integrity').textContent = '';
}

async function open(id: string, startAt = 0): Promise<void> {
  const key = keyring.current();
  if (!key) return show('unlock');
  closePlayer();
  status('Decrypting in this page...');
  const view = await api.recording(id);
  // The chunks' associated data binds the manifest's id: a manifest of another recording would open its chunks.
  if (view.manifest.id !== id || view.summary.id !== id) throw new Error(`the gateway answered for recording ${view.manifest.id} when ${id} was asked (swapped or altered)`);
  if (!view.sealedToYou) return status(`Recording ${id} is not sealed to your key (${view.kid ?? 'no recipient'}).`);
  const title = `${view.summary.user}@${view.summary.target} (${view.summary.protocol}), ${new Date(view.summary.startedAt).toLocaleString()}`;
  const downloads = { key: keyring.current, sodium: keyring.sodium, status };
  if (view.manifest.streams.some((s) => s.name === 'screen')) {
    const loaded = await showGraphics(await keyring.sodium(), key, view, startAt);
    $('gfx-title').textContent = title;
    downloadControls($('gfx-downloads'), view, guard, downloads);
    show('gfx-view');
    return status(loaded.skipped > 0 ? `${loaded.skipped} screen update(s) could not be decoded and were left out (first: ${loaded.firstError ?? ''})` : '');
  }
  if (!view.manifest.streams.some((s) => s.kind === 'tty')) return status(`Recording ${id} has neither a terminal nor a screen to play; its events are in its export (recgate recordings export ${id}).`);
  playback = await openPlayback(await keyring.sodium(), key, view);
  $('player-title').textContent = title;
  downloadControls($('downloads'), view, guard, downloads);
  show('player-view');
  const opened = playback;
  await mount(startAt);
  status('');
  void showVerdict(await keyring.sodium(), view, $('integrity'), () => playback === opened);
  const events = await opened.events.catch((error: unknown) => {
    if (playback === opened) status(`The events list could not be read: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  });
  if (playback !== opened) return;
  $('events').replaceChildren(
    ...events.map((e) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.textContent = `${e.t.toFixed(1)}s ${e.label}`;
      b.addEventListener('click', () => void player?.seek(skipping ? toPlayback(skipping, msOf(e.t)) / 1000 : e.t));
      li.append(b);
      return li;
    }),
  );
}

function guard(task: () => Promise<unknown>): void {
  task().catch((error: unknown) => {
    if (error instanceof api.ApiError && error.status === 401) {
      keyring.lock();
      signedInAs(null);
      show('sign-in');
    }
    status(error instanceof Error ? error.message : String(error));
  });
}

function wire(): void {
  $<HTMLFormElement>('sign-in').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target as HTMLFormElement);
    guard(async () => {
      const m = await api.signIn(String(form.get('name')), String(form.get('password')));
      ($<HTMLFormElement>('sign-in')).reset();
      signedInAs(m);
      status('');
      show('unlock');
    });
  });
  $<HTMLFormElement>('unlock').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    const file = (form.elements.namedItem('key') as HTMLInputElement).files?.[0];
    const passphrase = (form.elements.namedItem('passphrase') as HTMLInputElement).value;
    guard(async () => {
      if (!file) throw new Error('choose your key file');
      status('Opening the key (this takes a moment)...');
      try {
        await keyring.unlock(file, passphrase);
      } finally {
        form.reset();
      }
      status('');
      await list();
    });
  });
  $<HTMLFormElement>('filters').addEventListener('submit', (ev) => {
    ev.preventDefault();
    guard(() => list());
  });
  $('more').addEventListener('click', () => guard(() => list(true)));
  wireSearch({ filters, key: keyring.current, sodium: keyring.sodium, openAt: (id, t) => guard(() => open(id, t)), fail: (e) => guard(() => Promise.reject(e)) });
  $('gfx-back').addEventListener('click', () => {
    closePlayer();
    show('recordings');
  });
  $('back').addEventListener('click', () => {
    closePlayer();
    show('recordings');
  });
  for (const id of ['speed', 'skip-idle']) $(id).addEventListener('change', () => guard(() => mount(playerAt())));
  $('lock').addEventListener('click', () =>
    guard(async () => {
      closePlayer();
      keyring.lock(await keyring.sodium());
      show('unlock');
    }),
  );
  $('sign-out').addEventListener('click', () =>
    guard(async () => {
      closePlayer();
      keyring.lock(await keyring.sodium());
      await api.signOut();
      signedInAs(null);
      show('sign-in');
    }),
  );
  window.addEventListener('pagehide', () => {
    closePlayer();
    keyring.lock();
  });
}

wire();
wireLive({ show: (v) => show(v as (typeof views)[number]), status, guard, recordings: () => list() });
guard(async () => {
  const m = await api.me();
  signedInAs(m);
  show(m ? 'unlock' : 'sign-in');
});
