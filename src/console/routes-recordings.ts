/**
 * The recordings API. Nothing here decrypts: a listing is clear metadata, a
 * recording is its manifest (with only the record key sealed to the account's
 * own recipient) and signed checkpoints, a chunk is its ciphertext exactly as
 * stored. Listings page by keyset on (startedAt, id), so page 2 000 of
 * 100 000 rows costs what page 1 does.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleAccount } from '../config/index.js';
import { kidOf } from '../seal/keys.js';
import type { RecordingStatus } from '../seal/manifest.js';
import { recordHeader } from '../store/chunk-file.js';
import type { ListFilter, RecordingSummary } from '../store/types.js';
import { hasRight, maySee, visibilityFilter, type Right } from './access.js';
import { refuse, requireSignIn, type SignedIn } from './guard.js';
import type { ConsoleContext } from './server.js';

const MAX_PAGE = 500;
const DEFAULT_PAGE = 50;
const ID = '^[A-Za-z0-9_-]{1,128}$';

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    user: { type: 'string', maxLength: 256 },
    target: { type: 'string', maxLength: 256 },
    protocol: { type: 'string', maxLength: 64 },
    status: { type: 'string', enum: ['recording', 'complete', 'interrupted'] },
    sort: { type: 'string', enum: ['newest', 'oldest'] },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE },
    after: { type: 'string', maxLength: 1024 },
  },
} as const;

interface ListQuery {
  from?: string;
  to?: string;
  user?: string;
  target?: string;
  protocol?: string;
  status?: RecordingStatus;
  sort?: 'newest' | 'oldest';
  limit?: number;
  after?: string;
}

/** The keyset cursor: opaque to the page, base64url of {startedAt, id}. */
export function encodeCursor(r: Pick<RecordingSummary, 'startedAt' | 'id'>): string {
  return Buffer.from(JSON.stringify([r.startedAt, r.id])).toString('base64url');
}

export function decodeCursor(text: string): { startedAt: string; id: string } | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      return { startedAt: value[0], id: value[1] };
    }
  } catch {
    // fall through
  }
  return null;
}

export function registerRecordings(app: FastifyInstance, ctx: ConsoleContext): void {
  /** The signed-in account holding `right`, or undefined after 401/403. */
  async function entitled(req: FastifyRequest, reply: FastifyReply, right: Right): Promise<SignedIn | undefined> {
    const who = requireSignIn(ctx, req, reply);
    if (!who) return undefined;
    if (hasRight(who.account, right)) return who;
    await refuse(ctx, req, reply, who.account.name, `role ${who.account.role} may not ${right}`);
    return undefined;
  }

  /** The recording if it exists and the account may see it; else 404 or 403 already sent. */
  async function visible(req: FastifyRequest, reply: FastifyReply, who: SignedIn, id: string): Promise<RecordingSummary | undefined> {
    const summary = await ctx.store.get(id);
    if (!summary) {
      void reply.code(404).send({ error: `no recording ${id}` });
      return undefined;
    }
    if (!maySee(who.account, summary)) {
      await refuse(ctx, req, reply, who.account.name, 'recording outside the account\'s targets/users', id);
      return undefined;
    }
    return summary;
  }

  app.get<{ Querystring: ListQuery }>('/api/recordings', { schema: { querystring: listQuery } }, async (req, reply) => {
    const who = await entitled(req, reply, 'list');
    if (!who) return reply;
    const q = req.query;
    const filter: ListFilter = { ...visibilityFilter(who.account), descending: q.sort !== 'oldest', limit: (q.limit ?? DEFAULT_PAGE) + 1 };
    if (q.user !== undefined) filter.user = q.user;
    if (q.target !== undefined) filter.target = q.target;
    if (q.protocol !== undefined) filter.protocol = q.protocol;
    if (q.status !== undefined) filter.status = q.status;
    if (q.from !== undefined) filter.since = new Date(q.from).toISOString();
    if (q.to !== undefined) filter.until = new Date(q.to).toISOString();
    if (q.after !== undefined) {
      const after = decodeCursor(q.after);
      if (!after) return reply.code(400).send({ error: 'after: not a cursor this console gave out' });
      filter.after = after;
    }
    const rows = await ctx.store.list(filter);
    const page = rows.slice(0, q.limit ?? DEFAULT_PAGE);
    const more = rows.length > page.length;
    const asked = Object.entries(q).filter(([k]) => k !== 'after').map(([k, v]) => `${k}=${String(v)}`).join(' ');
    await ctx.audit.append({ action: 'list', account: who.account.name, address: req.ip, ...(asked ? { detail: asked } : {}) });
    return { recordings: page, next: more && page.length > 0 ? encodeCursor(page.at(-1)!) : null };
  });

  app.get<{ Params: { id: string } }>('/api/recordings/:id', { schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: ID } } } } }, async (req, reply) => {
    const who = await entitled(req, reply, 'view');
    if (!who) return reply;
    const summary = await visible(req, reply, who, req.params.id);
    if (!summary) return reply;
    const [manifest, checkpoints] = await Promise.all([ctx.store.manifest(summary.id), ctx.store.checkpoints(summary.id)]);
    const kid = recipientKid(ctx, who.account);
    const own = manifest.recipients.filter((r) => r.kid === kid);
    await ctx.audit.append({ action: 'view', account: who.account.name, address: req.ip, recording: summary.id });
    return { summary, manifest: { ...manifest, recipients: own }, kid, sealedToYou: own.length > 0, checkpoints };
  });

  const chunkParams = {
    type: 'object',
    properties: { id: { type: 'string', pattern: ID }, stream: { type: 'integer', minimum: 1, maximum: 1000 }, index: { type: 'integer', minimum: 0 } },
  } as const;
  app.get<{ Params: { id: string; stream: number; index: number } }>(
    '/api/recordings/:id/streams/:stream/chunks/:index',
    { schema: { params: chunkParams } },
    async (req, reply) => {
      const who = await entitled(req, reply, 'view');
      if (!who) return reply;
      const summary = await visible(req, reply, who, req.params.id);
      if (!summary) return reply;
      const { stream, index } = req.params;
      const manifest = await ctx.store.manifest(summary.id);
      if (!manifest.streams.some((s) => s.id === stream)) return reply.code(404).send({ error: `recording ${summary.id} has no stream ${stream}` });
      let data: Uint8Array | undefined;
      for await (const chunk of ctx.store.chunks(summary.id, stream, index)) {
        if (chunk.index === index) data = chunk.data;
        break;
      }
      if (!data) return reply.code(404).send({ error: `stream ${stream} has no chunk ${index} (yet)` });
      await auditChunks(req, who, summary.id);
      return reply.type('application/octet-stream').send(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    },
  );

  /** The first time a session reads a recording's chunks, one audit entry. */
  async function auditChunks(req: FastifyRequest, who: SignedIn, id: string): Promise<void> {
    if (who.session.chunksLogged.has(id)) return;
    who.session.chunksLogged.add(id);
    await ctx.audit.append({ action: 'chunks', account: who.account.name, address: req.ip, recording: id });
  }

  /**
   * Every stored chunk of a stream in one response, as the store holds them
   * (`length:u32be | ciphertext` each): what the page verifies a recording
   * with, in one request however many chunks it has.
   */
  app.get<{ Params: { id: string; stream: number } }>(
    '/api/recordings/:id/streams/:stream/chunks',
    { schema: { params: { type: 'object', properties: { id: chunkParams.properties.id, stream: chunkParams.properties.stream } } } },
    async (req, reply) => {
      const who = await entitled(req, reply, 'view');
      if (!who) return reply;
      const summary = await visible(req, reply, who, req.params.id);
      if (!summary) return reply;
      await auditChunks(req, who, summary.id);
      const { id } = summary;
      const { stream } = req.params;
      async function* records(): AsyncGenerator<Uint8Array> {
        for await (const chunk of ctx.store.chunks(id, stream)) {
          yield recordHeader(chunk.data.length);
          yield chunk.data;
        }
      }
      return reply.type('application/octet-stream').send(Readable.from(records()));
    },
  );

  app.get('/api/audit', async (req, reply) => {
    const who = await entitled(req, reply, 'audit-log');
    if (!who) return reply;
    const entries = await ctx.audit.read();
    await ctx.audit.append({ action: 'audit-log', account: who.account.name, address: req.ip });
    return { signer: Buffer.from(ctx.signer.publicKey).toString('base64'), entries };
  });
}

function recipientKid(ctx: ConsoleContext, account: ConsoleAccount): string | null {
  const recipient = ctx.config().recipients.find((r) => r.name === account.recipient);
  return recipient ? kidOf(ctx.sodium, recipient.publicKey) : null;
}
