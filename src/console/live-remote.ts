/**
 * Live sessions held by other nodes of a cluster (PostgreSQL store), in the
 * console of this one. They are listed from the shared registry; their
 * progress comes from the shared store (the chunks it holds per stream, and
 * its `tail` to wait for more), since this node has no recorder for them;
 * messages and terminations are requests to the holding node, answered once
 * it confirmed. The page reads the chunks through the recordings API as for a
 * local session: the store is the same.
 */
import type { ClusterSessionInfo, NodeAnswer } from '../cluster/directory.js';
import type { Logger } from '../log.js';
import type { RecordingStore } from '../store/types.js';
import type { LiveProgress } from './live-wait.js';

/** What the console needs of the cluster (src/cluster/node.ts). */
export interface LiveCluster {
  readonly nodeId: string;
  sessions(): Promise<ClusterSessionInfo[]>;
  terminate(id: string, message: string, by: string): Promise<NodeAnswer>;
  message(id: string, text: string, by: string): Promise<NodeAnswer>;
}

/**
 * The live sessions of the other nodes that are alive. When the registry
 * cannot be read (the database is unreachable) the console goes on with this
 * node's own sessions, and says so in the log.
 */
export async function otherNodesSessions(cluster: LiveCluster | undefined, log: Logger): Promise<ClusterSessionInfo[]> {
  if (!cluster) return [];
  try {
    return (await cluster.sessions()).filter((s) => s.node !== cluster.nodeId && s.nodeAlive);
  } catch (err) {
    log.warn({ error: (err as Error).message }, "console: cannot read the other nodes' live sessions; listing this node's only");
    return [];
  }
}

/** Session `id` if another live node holds it. */
export async function remoteSession(cluster: LiveCluster | undefined, id: string, log: Logger): Promise<ClusterSessionInfo | undefined> {
  return (await otherNodesSessions(cluster, log)).find((s) => s.id === id);
}

type ProgressSource = Pick<RecordingStore, 'manifest' | 'chunks' | 'tail'>;

/**
 * Chunks counted so far per recording and stream: counts only grow, so a
 * count is resumed from where it stopped and each poll reads only the chunks
 * stored since (entries are dropped when their recording is no longer live).
 */
export type ChunkCounts = Map<string, Map<number, number>>;

/** How far the store holds a recording: its chunks per stream, as the local recorder would report them. */
export async function storedProgress(store: ProgressSource, id: string, counted: ChunkCounts = new Map()): Promise<LiveProgress> {
  const manifest = await store.manifest(id);
  const known = counted.get(id) ?? new Map<number, number>();
  counted.set(id, known);
  const streams: LiveProgress['streams'] = [];
  for (const s of manifest.streams) {
    let chunks = known.get(s.id) ?? 0;
    for await (const chunk of store.chunks(id, s.id, chunks)) chunks = chunk.index + 1;
    known.set(s.id, chunks);
    streams.push({ id: s.id, name: s.name, kind: s.kind, channel: s.channel, chunks });
  }
  return { seq: streams.reduce((n, s) => n + s.chunks, 0), streams };
}

/**
 * Resolves with the store's progress once it holds more than `since` chunks of
 * the recording, or a stream's tail ended (the recording stopped), or `ms`
 * went by, or `signal` aborted.
 */
export async function waitForStoredProgress(store: ProgressSource, id: string, since: number, ms: number, signal: AbortSignal, counted: ChunkCounts = new Map()): Promise<LiveProgress> {
  const now = await storedProgress(store, id, counted);
  if (now.seq > since || signal.aborted) return now;
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(), ms);
  const any = AbortSignal.any([stop.signal, signal]);
  const tails = now.streams.map(async (s) => {
    const iterator = store.tail(id, s.id, s.chunks, any)[Symbol.asyncIterator]();
    try {
      await iterator.next();
    } finally {
      await iterator.return?.();
    }
  });
  try {
    const stored = tails.length > 0 ? Promise.any(tails) : new Promise<void>(() => undefined);
    await Promise.race([stored, new Promise((resolve) => any.addEventListener('abort', resolve, { once: true }))]);
  } catch {
    // every tail failed or was aborted: answer with what the store holds
  } finally {
    clearTimeout(deadline);
    stop.abort();
    await Promise.allSettled(tails);
  }
  return storedProgress(store, id, counted);
}
