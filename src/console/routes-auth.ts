/**
 * Sign-in and sign-out. POST /api/session {name, password} checks the
 * Argon2id hash off the event loop, counts failures per address with the
 * gateway's failed-login limiter (429 while an address is blocked), and sets
 * the session cookie: HttpOnly, SameSite=Strict, Secure over TLS. The answer
 * carries the CSRF token the page sends back on state-changing requests.
 */
import type { FastifyInstance } from 'fastify';
import { hashPassword, verifyPasswordAsync } from '../auth/passwords.js';
import type { ConsoleContext } from './server.js';
import { cookieOptions, refuse, requireCsrf, requireSignIn, sameOrigin, SESSION_COOKIE, signedIn } from './guard.js';

const signInBody = {
  type: 'object',
  required: ['name', 'password'],
  additionalProperties: false,
  properties: { name: { type: 'string', maxLength: 128 }, password: { type: 'string', maxLength: 1024 } },
} as const;

export function registerAuth(app: FastifyInstance, ctx: ConsoleContext): void {
  // Checked when the name is unknown, so a wrong name costs the same time as a wrong password.
  let decoy: string | undefined;

  app.post<{ Body: { name: string; password: string } }>('/api/session', { schema: { body: signInBody } }, async (req, reply) => {
    const { name, password } = req.body;
    if (!sameOrigin(req)) return refuse(ctx, req, reply, name, 'sign-in from another origin');
    const attempt = ctx.limiter.begin(req.ip);
    if (!attempt) {
      ctx.log.warn({ address: req.ip }, 'console sign-in refused: too many failures from this address');
      await ctx.audit.append({ action: 'sign-in-failed', account: name, address: req.ip, detail: 'rate limited' });
      return reply.code(429).send({ error: 'too many failed sign-ins from this address; try again later' });
    }
    const account = ctx.config().console.accounts.find((a) => a.name === name);
    decoy ??= hashPassword(ctx.sodium, 'recgate console decoy');
    const ok = await verifyPasswordAsync(ctx.sodium, account?.password ?? decoy, password);
    if (!account || !ok) {
      attempt.fail();
      ctx.log.warn({ account: name, address: req.ip }, 'console sign-in failed');
      await ctx.audit.append({ action: 'sign-in-failed', account: name, address: req.ip });
      return reply.code(401).send({ error: 'wrong name or password' });
    }
    attempt.succeed();
    const session = ctx.sessions.create(account.name);
    ctx.log.info({ account: account.name, role: account.role, address: req.ip }, 'console sign-in');
    await ctx.audit.append({ action: 'sign-in', account: account.name, address: req.ip });
    void reply.setCookie(SESSION_COOKIE, session.id, cookieOptions(req));
    return { name: account.name, role: account.role, recipient: account.recipient, csrf: session.csrf };
  });

  app.get('/api/session', async (req, reply) => {
    const who = signedIn(ctx, req);
    if (!who) return reply.code(401).send({ error: 'not signed in' });
    return { name: who.account.name, role: who.account.role, recipient: who.account.recipient, csrf: who.session.csrf };
  });

  app.delete('/api/session', async (req, reply) => {
    const who = requireSignIn(ctx, req, reply);
    if (!who) return reply;
    if (!(await requireCsrf(ctx, who, req, reply))) return reply;
    ctx.sessions.end(who.session.id);
    await ctx.audit.append({ action: 'sign-out', account: who.account.name, address: req.ip });
    void reply.clearCookie(SESSION_COOKIE, cookieOptions(req));
    return { signedOut: true };
  });
}
