/**
 * Live sessions in the console. Listing them is open to every role within
 * its scope; watching, messaging and terminating need an officer or admin.
 *
 *   GET  /api/live                      the live sessions the account may see
 *   GET  /api/live/:id                  open one to watch: its identity and progress (audited)
 *   GET  /api/live/:id/updates?since=n  long poll: answers once the store holds
 *                                       more than n chunks of it, or it ended, or 20 s passed
 *   POST /api/live/:id/message   {text}       shown in the person's terminal, recorded
 *   POST /api/live/:id/terminate {message?}   ends it; the person sees the message
 *
 * The page fetches the chunks themselves, ciphertext as stored, through the
 * recordings API and decrypts them: nothing here reads a chunk. While a page
 * polls, the session's recorder stores frames within WATCHED_FLUSH_MS rather
 * than its flush interval. Every action and every refusal is a line in the
 * console's audit log.
 */
import { once } from 'node:events';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from '../errors.js';
import { cleanMessage, DEFAULT_TERMINATE_MESSAGE } from '../session/message.js';
import type { Session } from '../session/session.js';
import { sessionInfo, type SessionRegistry } from '../session/registry.js';
import { hasRight, maySee, type LiveRight } from './access.js';
import { refuse, requireCsrf, requireSignIn, type SignedIn } from './guard.js';
import { progress, waitForProgress } from './live-wait.js';
import { otherNodesSessions, remoteSession, storedProgress, waitForStoredProgress, type ChunkCounts } from './live-remote.js';
import type { ClusterSessionInfo } from '../cluster/directory.js';
import type { ConsoleContext } from './server.js';

/** Longest a long poll is held open. */
export const LONG_POLL_MS = 20_000;
/** Polls held open at once on one session (over every viewer); Node's default listener limit is 10. */
const MAX_POLLS = 8;
/** How long one poll keeps the session's recorder in its watched (quicker flush) mode. */
const WATCH_LEASE_MS = LONG_POLL_MS + 10_000;
/** Longest text accepted in a request body before it is cleaned (and cut to MAX_MESSAGE). */
const MAX_BODY_TEXT = 4000;
const ID = '^[A-Za-z0-9_-]{1,128}$';
const idParams = { type: 'object', properties: { id: { type: 'string', pattern: ID } } } as const;

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

export function registerLive(app: FastifyInstance, ctx: ConsoleContext, live: SessionRegistry): void {
  const closing = new AbortController();
  /** Polls held open per session: each waits on its recorder's and session's events. */
  const polls = new Map<string, number>();
  /** Chunks counted per recording of another node's live session (see live-remote.ts). */
  const counted: ChunkCounts = new Map();
  // Before the server waits for requests in flight: a held poll answers at once.
  app.addHook('preClose', async () => closing.abort());

  /** The signed-in account holding `right` (or undefined after 401/403). */
  async function entitled(req: FastifyRequest, reply: FastifyReply, right: LiveRight | 'list'): Promise<SignedIn | undefined> {
    const who = requireSignIn(ctx, req, reply);
    if (!who) return undefined;
    if (hasRight(who.account, right)) return who;
    const id = (req.params as { id?: string } | undefined)?.id;
    await refuse(ctx, req, reply, who.account.name, `role ${who.account.role} may not ${right} live sessions`, id);
    return undefined;
  }

  /** The live session if the account may see it; else 404 or 403 already sent. */
  async function visible(req: IdRequest, reply: FastifyReply, who: SignedIn): Promise<Session | undefined> {
    const session = live.get(req.params.id);
    if (!session) {
      void reply.code(404).send({ error: `no live session ${req.params.id}` });
      return undefined;
    }
    if (!maySee(who.account, { user: session.user, target: session.target.name })) {
      await refuse(ctx, req, reply, who.account.name, "session outside the account's targets/users", session.id);
      return undefined;
    }
    return session;
  }

  /**
   * Session `id` held by another node of the cluster: the row if the account
   * may see it, false when 403 was sent, undefined when no other node holds it.
   */
  async function visibleRemote(req: IdRequest, reply: FastifyReply, who: SignedIn): Promise<ClusterSessionInfo | false | undefined> {
    if (live.get(req.params.id)) return undefined;
    const held = await remoteSession(ctx.cluster?.(), req.params.id, ctx.log);
    if (!held) return undefined;
    if (maySee(who.account, held)) return held;
    await refuse(ctx, req, reply, who.account.name, "session outside the account's targets/users", held.id);
    return false;
  }

  /** For message and terminate: entitled, same-origin with the CSRF token, live and in scope, and a text. */
  async function action(req: IdRequest, reply: FastifyReply, right: 'message' | 'terminate', field: 'text' | 'message') {
    const who = await entitled(req, reply, right);
    if (!who || !(await requireCsrf(ctx, who, req, reply))) return undefined;
    const body: unknown = req.body;
    const raw = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
    if (raw !== undefined && (typeof raw !== 'string' || raw.length > MAX_BODY_TEXT)) {
      void reply.code(400).send({ error: `${field}: a string of at most ${MAX_BODY_TEXT} characters` });
      return undefined;
    }
    const text = typeof raw === 'string' ? cleanMessage(raw) : '';
    const remote = await visibleRemote(req, reply, who);
    if (remote === false) return undefined;
    if (remote) return { who, remote, text };
    const session = await visible(req, reply, who);
    if (!session) return undefined;
    return { who, session, text };
  }

  app.get('/api/live', async (req, reply) => {
    const who = await entitled(req, reply, 'list');
    if (!who) return reply;
    const cluster = ctx.cluster?.();
    const own = cluster ? live.list().map((s) => ({ ...s, node: cluster.nodeId })) : live.list();
    const others = await otherNodesSessions(cluster, ctx.log);
    for (const id of counted.keys()) if (!others.some((s) => s.id === id)) counted.delete(id);
    const sessions = [...own, ...others].filter((s) => maySee(who.account, s));
    await ctx.audit.append({ action: 'live-list', account: who.account.name, address: req.ip });
    return { sessions, canAct: hasRight(who.account, 'watch') };
  });

  app.get<{ Params: { id: string } }>('/api/live/:id', { schema: { params: idParams } }, async (req, reply) => {
    const who = await entitled(req, reply, 'watch');
    if (!who) return reply;
    const remote = await visibleRemote(req, reply, who);
    if (remote === false) return reply;
    if (remote) {
      if (!remote.recording) return reply.code(409).send({ error: `session ${remote.id} runs unrecorded: there is nothing to watch` });
      await ctx.audit.append({ action: 'watch', account: who.account.name, address: req.ip, recording: remote.id });
      ctx.log.info({ account: who.account.name, session: remote.id, node: remote.node }, 'live session of another node opened in the console');
      const { node: _node, nodeAlive: _alive, ...info } = remote;
      return { session: { ...info, node: remote.node }, ...(await storedProgress(ctx.store, remote.id, counted)) };
    }
    const session = await visible(req, reply, who);
    if (!session) return reply;
    if (!session.recorder) return reply.code(409).send({ error: `session ${session.id} runs unrecorded: there is nothing to watch` });
    session.recorder.watchFor(WATCH_LEASE_MS);
    await ctx.audit.append({ action: 'watch', account: who.account.name, address: req.ip, recording: session.id });
    ctx.log.info({ account: who.account.name, session: session.id }, 'live session opened in the console');
    return { session: sessionInfo(session), ...progress(session) };
  });

  app.get<{ Params: { id: string }; Querystring: { since?: number } }>(
    '/api/live/:id/updates',
    { schema: { params: idParams, querystring: { type: 'object', additionalProperties: false, properties: { since: { type: 'integer', minimum: 0 } } } } },
    async (req, reply) => {
      const who = await entitled(req, reply, 'watch');
      if (!who) return reply;
      const remote = await visibleRemote(req, reply, who);
      if (remote === false) return reply;
      if (remote) {
        const gone = new AbortController();
        req.raw.once('close', () => gone.abort());
        const now = await waitForStoredProgress(ctx.store, remote.id, req.query.since ?? 0, LONG_POLL_MS, AbortSignal.any([gone.signal, closing.signal]), counted);
        const summary = await ctx.store.get(remote.id);
        if (summary && summary.status !== 'recording') {
          counted.delete(remote.id);
          return ended(req, reply, who);
        }
        return { ...now, ended: false };
      }
      if (!live.get(req.params.id)) return ended(req, reply, who);
      const session = await visible(req, reply, who);
      if (!session) return reply;
      const gone = new AbortController();
      req.raw.once('close', () => gone.abort());
      const held = polls.get(session.id) ?? 0;
      if (held >= MAX_POLLS) return reply.code(429).send({ error: `session ${session.id} has ${MAX_POLLS} viewers waiting already; try again shortly` });
      polls.set(session.id, held + 1);
      // Stored sooner while the page follows it, until a while after its last poll.
      session.recorder?.watchFor(WATCH_LEASE_MS);
      const signal = AbortSignal.any([gone.signal, closing.signal]);
      try {
        await waitForProgress(session, req.query.since ?? 0, LONG_POLL_MS, signal);
      } finally {
        const left = (polls.get(session.id) ?? 1) - 1;
        if (left > 0) polls.set(session.id, left);
        else polls.delete(session.id);
      }
      if (!session.ended) return { ...progress(session), ended: false };
      // Ending: 'ended' follows once the store holds the last chunks and the end reason.
      if (live.get(session.id) === session) await once(session, 'ended', { signal }).catch(() => undefined);
      return ended(req, reply, who);
    },
  );

  /** A session no longer live: ended, if its recording exists and is visible. */
  async function ended(req: IdRequest, reply: FastifyReply, who: SignedIn): Promise<unknown> {
    const summary = await ctx.store.get(req.params.id);
    if (!summary) return reply.code(404).send({ error: `no live session ${req.params.id}` });
    if (!maySee(who.account, summary)) return refuse(ctx, req, reply, who.account.name, "session outside the account's targets/users", summary.id);
    return { ended: true, status: summary.status, endReason: summary.endReason };
  }

  app.post<{ Params: { id: string } }>('/api/live/:id/message', { schema: { params: idParams } }, async (req, reply) => {
    const act = await action(req, reply, 'message', 'text');
    if (!act) return reply;
    if (act.text === '') return reply.code(400).send({ error: 'text: nothing to show once control characters are removed' });
    if (act.remote) {
      const by = `console:${act.who.account.name}`;
      const answer = await ctx.cluster!()!.message(act.remote.id, act.text, by).catch((err: Error) => err);
      if (answer instanceof Error) return reply.code(answer instanceof NotFoundError ? 404 : 502).send({ error: answer.message });
      await ctx.audit.append({ action: 'message', account: act.who.account.name, address: req.ip, recording: act.remote.id, detail: act.text });
      return { sent: act.text, node: answer.node };
    }
    const shown = live.message(act.session.id, act.text, `console:${act.who.account.name}`);
    if (!shown) return reply.code(404).send({ error: `session ${act.session.id} has ended` });
    await ctx.audit.append({ action: 'message', account: act.who.account.name, address: req.ip, recording: act.session.id, detail: act.text });
    return { sent: act.text };
  });

  app.post<{ Params: { id: string } }>('/api/live/:id/terminate', { schema: { params: idParams } }, async (req, reply) => {
    const act = await action(req, reply, 'terminate', 'message');
    if (!act) return reply;
    const message = act.text || DEFAULT_TERMINATE_MESSAGE;
    if (act.remote) {
      const answer = await ctx.cluster!()!.terminate(act.remote.id, message, `console:${act.who.account.name}`).catch((err: Error) => err);
      if (answer instanceof Error) return reply.code(answer instanceof NotFoundError ? 404 : 502).send({ error: answer.message });
      await ctx.audit.append({ action: 'terminate', account: act.who.account.name, address: req.ip, recording: act.remote.id, detail: message });
      ctx.log.info({ account: act.who.account.name, session: act.remote.id, node: answer.node, message }, 'session of another node terminated from the console');
      const summary = await ctx.store.get(act.remote.id);
      return { terminated: true, reason: summary?.endReason ?? 'terminated', recorded: summary?.status === 'complete', node: answer.node };
    }
    const ending = live.terminate(act.session.id, message, `console:${act.who.account.name}`);
    if (!ending) return reply.code(404).send({ error: `session ${act.session.id} has ended` });
    await ctx.audit.append({ action: 'terminate', account: act.who.account.name, address: req.ip, recording: act.session.id, detail: message });
    ctx.log.info({ account: act.who.account.name, session: act.session.id, message }, 'session terminated from the console');
    const end = await ending;
    return { terminated: true, reason: end.reason, recorded: end.recording?.ok ?? false };
  });
}
