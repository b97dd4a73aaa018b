/**
 * The console API as the page uses it: same-origin requests only, the
 * session cookie sent by the browser, the CSRF token in a header on
 * state-changing requests.
 */
import { RecordSplitter } from '../src/store/record-splitter.js';
import type { RecordingSummary } from '../src/store/types.js';
import type { Checkpoint, Manifest } from '../src/seal/manifest.js';
import type { SignersAnswer } from '../src/console/routes-signers.js';

export interface Me {
  name: string;
  role: string;
  recipient: string;
  csrf: string;
}

export interface RecordingView {
  summary: RecordingSummary;
  manifest: Manifest;
  kid: string | null;
  sealedToYou: boolean;
  checkpoints: Checkpoint[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let csrf = '';

export async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-recgate-csrf'] = csrf;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      message = ((await res.json()) as { error?: string }).error ?? message;
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, message);
  }
  return res;
}

export async function me(): Promise<Me | null> {
  try {
    const m = (await (await call('GET', '/api/session')).json()) as Me;
    csrf = m.csrf;
    return m;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export async function signIn(name: string, password: string): Promise<Me> {
  const m = (await (await call('POST', '/api/session', { name, password })).json()) as Me;
  csrf = m.csrf;
  return m;
}

export async function signOut(): Promise<void> {
  await call('DELETE', '/api/session');
  csrf = '';
}

export async function listRecordings(query: URLSearchParams): Promise<{ recordings: RecordingSummary[]; next: string | null }> {
  return (await call('GET', `/api/recordings?${query.toString()}`)).json() as Promise<{ recordings: RecordingSummary[]; next: string | null }>;
}

export async function recording(id: string): Promise<RecordingView> {
  return (await call('GET', `/api/recordings/${encodeURIComponent(id)}`)).json() as Promise<RecordingView>;
}

/** Chunk `index` of a stream as stored (ciphertext), or null past the last one written. */
export async function chunk(id: string, stream: number, index: number): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await (await call('GET', `/api/recordings/${encodeURIComponent(id)}/streams/${stream}/chunks/${index}`)).arrayBuffer());
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/** Every recording a listing query selects, page after page. */
export async function allRecordings(query: URLSearchParams): Promise<RecordingSummary[]> {
  const out: RecordingSummary[] = [];
  let after: string | null = null;
  do {
    const q = new URLSearchParams(query);
    q.set('limit', '500');
    if (after) q.set('after', after);
    const page = await listRecordings(q);
    out.push(...page.recordings);
    after = page.next;
  } while (after);
  return out;
}

/** One audit line for work the page did on its own side (a search, a download). */
export async function auditEvent(body: { action: 'search'; recordings: number } | { action: 'download'; recording: string; file: 'zip' }): Promise<void> {
  await call('POST', '/api/audit-events', body);
}

/** The gateway signing keys this console's config trusts (see src/console/routes-signers.ts). */
export async function signers(): Promise<SignersAnswer> {
  return (await call('GET', '/api/signers')).json() as Promise<SignersAnswer>;
}

/**
 * Every stored chunk of a stream, read from one response as it arrives
 * (`length:u32be | ciphertext` each): one chunk in memory at a time.
 */
export async function* streamChunks(id: string, stream: number): AsyncGenerator<Uint8Array> {
  let res: Response;
  try {
    res = await call('GET', `/api/recordings/${encodeURIComponent(id)}/streams/${stream}/chunks`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return;
    throw error;
  }
  const reader = res.body!.getReader();
  const splitter = new RecordSplitter();
  for (;;) {
    const { done, value } = await reader.read();
    if (value) yield* splitter.push(value);
    if (done) break;
  }
  if (splitter.pending > 0) throw new Error(`the stream's chunks end with ${splitter.pending} bytes of a cut record`);
}
