/**
 * Live sessions in the page: the list, watching one as it happens, a message
 * to the person, terminating it; and, for admins, the console's audit log.
 *
 * Watching: the page long-polls the gateway for "the store holds more chunks",
 * fetches each new chunk (ciphertext, through the recordings API), opens it
 * here with the key from the key file and feeds the terminal at once. The
 * gateway never sees what the session shows.
 */
import type { Me } from './api.js';
import * as api from './api.js';
import * as keyring from './keyring.js';
import * as live from './live-api.js';
import { LiveFeed } from './live-feed.js';
import { mountLiveTerminal, type LiveTerminal } from './live-terminal.js';
import { eventLabel } from './player.js';
import { decodeFrames } from '../src/recording/frames.js';
import { RecordOpener } from '../src/seal/opener.js';
import type { SessionInfo } from './live-api.js';

export interface PageHooks {
  show(view: string): void;
  status(text: string): void;
  guard(task: () => Promise<unknown>): void;
  recordings(): Promise<void>;
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
let page: PageHooks;
let watching: Watch | undefined;

/** One watched session: fetches, opens and shows its chunks until it ends or the page stops watching. */
class Watch {
  private stopped = false;
  private opener: RecordOpener | undefined;
  private readonly have = new Map<number, number>();
  private readonly finished = new Set<number>();

  constructor(
    readonly id: string,
    private readonly term: LiveTerminal,
    private readonly feed: LiveFeed,
  ) {}

  async run(): Promise<void> {
    const first = await live.watch(this.id);
    let progress: live.LiveProgress = first;
    let ended = false;
    let endReason: string | null = null;
    while (!this.stopped) {
      await this.catchUp(progress.streams, ended);
      if (ended || this.stopped) break;
      const u = await live.updates(this.id, progress.seq);
      if ('seq' in u) progress = u;
      ended = u.ended;
      if ('endReason' in u) endReason = u.endReason;
    }
    if (this.stopped) return;
    state(`The session has ended${endReason ? ` (${endReason})` : ''}.`);
    this.term.end('Session ended');
    $('live-actions').hidden = true;
  }

  stop(): void {
    this.stopped = true;
    this.opener?.close();
    this.term.dispose();
  }

  /** Opens and shows every chunk stored so far; after the end, every chunk there is. */
  private async catchUp(streams: live.LiveStream[], final: boolean): Promise<void> {
    for (const stream of streams) {
      for (let index = this.have.get(stream.id) ?? 0; !this.finished.has(stream.id) && (final || index < stream.chunks); index++) {
        const data = await api.chunk(this.id, stream.id, index);
        if (!data || this.stopped) break;
        const opened = (await this.openerFor(stream.id)).openChunk(stream.id, index, data);
        this.feed.apply(stream, decodeFrames(opened.plaintext));
        this.have.set(stream.id, index + 1);
        if (opened.last) this.finished.add(stream.id);
      }
    }
  }

  /** The opener, made again from a fresh manifest when a stream appeared after it was made. */
  private async openerFor(streamId: number): Promise<RecordOpener> {
    if (this.opener?.streams.some((s) => s.id === streamId)) return this.opener;
    const key = keyring.current();
    if (!key) throw new Error('the key was locked');
    const view = await api.recording(this.id);
    // The chunks' associated data binds the manifest's id: a manifest of another recording would open its chunks.
    if (view.manifest.id !== this.id) throw new Error(`the gateway answered for recording ${view.manifest.id} when ${this.id} was asked`);
    if (!view.sealedToYou) throw new Error(`session ${this.id} is not sealed to your key (${view.kid ?? 'no recipient'})`);
    this.opener?.close();
    this.opener = RecordOpener.open(await keyring.sodium(), view.manifest, key);
    return this.opener;
  }
}

function state(text: string): void {
  $('live-state').textContent = text;
}

function describe(s: SessionInfo): string {
  return `${s.user}@${s.target} (${s.protocol}) from ${s.clientAddress}${s.node ? ` on node ${s.node}` : ''}, since ${new Date(s.startedAt).toLocaleString()}`;
}

export function stopWatching(): void {
  watching?.stop();
  watching = undefined;
  $('live-watch').hidden = true;
  $('live-events').replaceChildren();
}

async function listLive(): Promise<void> {
  stopWatching();
  const { sessions, canAct } = await live.liveSessions();
  $('live-rows').replaceChildren(
    ...sessions.map((s) => {
      const tr = document.createElement('tr');
      for (const text of [new Date(s.startedAt).toLocaleString(), s.user, s.target, s.protocol, s.clientAddress, s.node ?? '', `${Math.round(s.idleMs / 1000)} s`]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      const td = document.createElement('td');
      if (canAct && s.recording) {
        const b = document.createElement('button');
        b.textContent = 'Watch';
        b.dataset.id = s.id;
        b.addEventListener('click', () => page.guard(() => open(s)));
        td.append(b);
      }
      tr.append(td);
      return tr;
    }),
  );
  $('live-none').hidden = sessions.length > 0;
  page.show('live');
}

async function open(s: SessionInfo): Promise<void> {
  if (!keyring.current()) return page.show('unlock');
  stopWatching();
  $('live-title').textContent = describe(s);
  $('live-watch').hidden = false;
  $('live-actions').hidden = false;
  state('Watching: decrypting in this page as the session goes on.');
  const feed = new LiveFeed({
    write: (text) => term.write(text),
    resize: (cols, rows) => term.resize(cols, rows),
    event: (t, e) => {
      const li = document.createElement('li');
      li.textContent = `${t.toFixed(1)}s ${eventLabel(e)}`;
      $('live-events').append(li);
    },
  });
  const term = mountLiveTerminal($('live-player'), 80, 24);
  const w = new Watch(s.id, term, feed);
  watching = w;
  try {
    await w.run();
  } catch (error) {
    if (watching !== w) return;
    state(`Watching stopped: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }
}

async function showAudit(): Promise<void> {
  stopWatching();
  const { signer, entries } = await live.auditLog();
  $('audit-signer').textContent = `Signed by the gateway key ${signer}; ${entries.length} entries, newest first.`;
  $('audit-rows').replaceChildren(
    ...entries
      .slice()
      .reverse()
      .map((e) => {
        const tr = document.createElement('tr');
        for (const text of [String(e.seq), new Date(e.at).toLocaleString(), e.account, e.action, e.recording ?? '', e.address, e.detail ?? '']) {
          const td = document.createElement('td');
          td.textContent = text;
          tr.append(td);
        }
        return tr;
      }),
  );
  page.show('audit-log');
}

/** Called whenever who is signed in changes. */
export function liveSignedIn(m: Me | null): void {
  $('nav-live').hidden = !m;
  $('nav-recordings').hidden = !m;
  $('nav-audit').hidden = m?.role !== 'admin';
  if (!m) stopWatching();
}

/** A form acting on the watched session with the text of its `field`; what `act` returns is shown. */
function onAction(formId: string, field: string, act: (id: string, text: string) => Promise<string>): void {
  $<HTMLFormElement>(formId).addEventListener('submit', (ev) => {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    const text = (form.elements.namedItem(field) as HTMLInputElement).value;
    const id = watching?.id;
    if (!id) return;
    page.guard(async () => {
      const done = await act(id, text);
      form.reset();
      state(done);
    });
  });
}

export function wireLive(hooks: PageHooks): void {
  page = hooks;
  $('nav-live').addEventListener('click', () => page.guard(() => listLive()));
  $('live-refresh').addEventListener('click', () => page.guard(() => listLive()));
  $('nav-recordings').addEventListener('click', () => {
    stopWatching();
    page.guard(() => (keyring.current() ? page.recordings() : Promise.resolve(page.show('unlock'))));
  });
  $('nav-audit').addEventListener('click', () => page.guard(() => showAudit()));
  onAction('live-message', 'text', async (id, text) => `Message shown to the person: ${(await live.message(id, text)).sent}`);
  onAction('live-terminate', 'message', async (id, text) => `You terminated it: the session has ended (${(await live.terminate(id, text)).reason}).`);
  $('live-stop').addEventListener('click', () => stopWatching());
  // A locked key stops what it was opening.
  $('lock').addEventListener('click', () => stopWatching());
  window.addEventListener('pagehide', () => stopWatching());
}
