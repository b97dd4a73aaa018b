/**
 * Request guards: who is signed in (401 otherwise), whether a state-changing
 * request comes from the console's own page (Origin check and the session's
 * CSRF token header, 403 otherwise), and refusals that are logged and audited.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleAccount } from '../config/index.js';
import type { ConsoleContext } from './server.js';
import type { ConsoleSession } from './sessions.js';

export const SESSION_COOKIE = 'rg_console';
export const CSRF_HEADER = 'x-recgate-csrf';

export interface SignedIn {
  session: ConsoleSession;
  account: ConsoleAccount;
}

function isTls(req: FastifyRequest): boolean {
  return req.protocol === 'https';
}

export function cookieOptions(req: FastifyRequest) {
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: isTls(req) };
}

/** True when the request's Origin is this console's own origin. Browsers send Origin on every POST/DELETE. */
export function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  const host = req.headers.host;
  if (typeof origin !== 'string' || typeof host !== 'string') return false;
  return origin === `${isTls(req) ? 'https' : 'http'}://${host}`;
}

export function signedIn(ctx: ConsoleContext, req: FastifyRequest): SignedIn | undefined {
  const session = ctx.sessions.get(req.cookies[SESSION_COOKIE]);
  if (!session) return undefined;
  const account = ctx.config().console.accounts.find((a) => a.name === session.account);
  if (!account) {
    ctx.sessions.end(session.id);
    return undefined;
  }
  return { session, account };
}

/** The signed-in account, or undefined after sending 401. */
export function requireSignIn(ctx: ConsoleContext, req: FastifyRequest, reply: FastifyReply): SignedIn | undefined {
  const who = signedIn(ctx, req);
  if (!who) void reply.code(401).send({ error: 'not signed in' });
  return who;
}

/** For a state-changing request by a signed-in account: its own origin and its CSRF token, else 403. */
export async function requireCsrf(ctx: ConsoleContext, who: SignedIn, req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (sameOrigin(req) && req.headers[CSRF_HEADER] === who.session.csrf) return true;
  await refuse(ctx, req, reply, who.account.name, 'cross-site request (Origin or CSRF token missing or wrong)');
  return false;
}

/** 403, one warn line and one audit entry naming who was refused what. */
export async function refuse(ctx: ConsoleContext, req: FastifyRequest, reply: FastifyReply, account: string, detail: string, recording?: string): Promise<void> {
  ctx.log.warn({ account, address: req.ip, detail, recording }, 'console request refused');
  await ctx.audit.append({ action: 'refused', account, address: req.ip, detail: `${req.method} ${req.url.split('?')[0]}: ${detail}`, ...(recording ? { recording } : {}) });
  void reply.code(403).send({ error: `forbidden: ${detail}` });
}
