/**
 * What a live viewer polls for: how far a live session's recording is in the
 * store, and a wait until it gets further. `seq` is the number of chunks the
 * store holds over every stream: it only grows, so a page that saw seq n asks
 * for "more than n" and is answered at once when it missed something.
 */
import { once, type EventEmitter } from 'node:events';
import type { StoredCount } from '../recording/recorder.js';
import type { StreamInfo } from '../seal/manifest.js';

/** A live session as the viewer sees it: its recorder's stored counts, and 'ended'. */
export interface Watchable extends EventEmitter {
  readonly ended: boolean;
  readonly recorder?: (EventEmitter & { stored(): StoredCount[]; watchFor(ms: number): void }) | undefined;
}

export interface LiveProgress {
  seq: number;
  streams: (Pick<StreamInfo, 'id' | 'name' | 'kind' | 'channel'> & { chunks: number })[];
}

export function progress(session: Watchable): LiveProgress {
  const stored = session.recorder?.stored() ?? [];
  return {
    seq: stored.reduce((n, c) => n + c.chunks, 0),
    streams: stored.map((c) => ({ id: c.stream.id, name: c.stream.name, kind: c.stream.kind, channel: c.stream.channel, chunks: c.chunks })),
  };
}

/**
 * Resolves once the session's recording passed `since` chunks, the session
 * ended, `ms` went by or `signal` aborted, whichever comes first.
 */
export async function waitForProgress(session: Watchable, since: number, ms: number, signal?: AbortSignal): Promise<void> {
  const recorder = session.recorder;
  if (!recorder || session.ended || progress(session).seq > since) return;
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(), ms);
  const any = signal ? AbortSignal.any([stop.signal, signal]) : stop.signal;
  const stored = (async () => {
    for (;;) {
      await once(recorder, 'stored', { signal: any });
      if (progress(session).seq > since) return;
    }
  })();
  try {
    await Promise.race([stored, once(session, 'ended', { signal: any })]);
  } catch {
    // timed out or aborted: the caller answers with what there is
  } finally {
    clearTimeout(deadline);
    stop.abort();
    await stored.catch(() => undefined);
  }
}
