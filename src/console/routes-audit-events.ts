/**
 * What the page tells the audit log about work it does on its own side:
 * a search it ran over N recordings, a download it produced from decrypted
 * chunks. The server cannot see either happen (it only serves ciphertext),
 * so the page posts one line for each, as a signed-in, same-origin,
 * CSRF-checked request like every other state change.
 *
 * A search line carries how many recordings the search reads, never the
 * query: what an auditor looks for (a customer's name, a leaked token) can
 * itself be sensitive, and the chunk fetches already name each recording.
 */
import type { FastifyInstance } from 'fastify';
import { hasRight, maySee } from './access.js';
import { refuse, requireCsrf, requireSignIn } from './guard.js';
import type { ConsoleContext } from './server.js';

/** The most recordings one search may claim to read (the listing's own limit is per page). */
export const MAX_SEARCH_RECORDINGS = 1_000_000;

const body = {
  type: 'object',
  required: ['action'],
  additionalProperties: false,
  properties: {
    action: { type: 'string', enum: ['search', 'download'] },
    recordings: { type: 'integer', minimum: 0, maximum: MAX_SEARCH_RECORDINGS },
    recording: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' },
    file: { type: 'string', enum: ['zip'] },
  },
} as const;

type Body = { action: 'search'; recordings?: number } | { action: 'download'; recording?: string; file?: 'zip' };

export function registerAuditEvents(app: FastifyInstance, ctx: ConsoleContext): void {
  app.post<{ Body: Body }>('/api/audit-events', { schema: { body } }, async (req, reply) => {
    const who = requireSignIn(ctx, req, reply);
    if (!who) return reply;
    if (!(await requireCsrf(ctx, who, req, reply))) return reply;
    if (!hasRight(who.account, 'view')) {
      await refuse(ctx, req, reply, who.account.name, `role ${who.account.role} may not view`);
      return reply;
    }
    const b = req.body;
    if (b.action === 'search') {
      if (b.recordings === undefined) return reply.code(400).send({ error: 'recordings: how many recordings the search reads' });
      const entry = await ctx.audit.append({ action: 'search', account: who.account.name, address: req.ip, detail: `search over ${b.recordings} recording${b.recordings === 1 ? '' : 's'}` });
      return { seq: entry.seq };
    }
    if (b.recording === undefined || b.file === undefined) return reply.code(400).send({ error: 'recording and file: what was downloaded' });
    const summary = await ctx.store.get(b.recording);
    if (!summary) return reply.code(404).send({ error: `no recording ${b.recording}` });
    if (!maySee(who.account, summary)) {
      await refuse(ctx, req, reply, who.account.name, "recording outside the account's targets/users", summary.id);
      return reply;
    }
    const entry = await ctx.audit.append({ action: 'download', account: who.account.name, address: req.ip, recording: summary.id, detail: `export ${b.file} made in the page` });
    return { seq: entry.seq };
  });
}
