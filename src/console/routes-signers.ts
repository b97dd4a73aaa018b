/**
 * GET /api/signers: the gateway signing keys the page checks checkpoint
 * signatures with, the same keys `recordings verify` trusts: the config's
 * `signers` (which config loading refuses to read from inside the data
 * directory), or `<signingKey>.pub` beside the config when none are named.
 *
 * Trust: whoever can write only the store (the data directory) can neither
 * change these keys nor sign with them, so what they alter shows as
 * tampered. Whoever runs this console or edits its config could serve keys
 * of their own; the page shows each key's line so an auditor can compare it
 * with the one obtained out of band (`recgate start` logs it).
 */
import type { FastifyInstance } from 'fastify';
import { trustedSignerKeys } from '../daemon/gateway-keys.js';
import { toBase64 } from '../seal/encoding.js';
import { formatSignerPublicLine } from '../seal/signing.js';
import { requireSignIn } from './guard.js';
import type { ConsoleContext } from './server.js';

export interface SignersAnswer {
  signers: { name: string; publicKey: string; line: string }[];
  /** Why there is nothing to verify with, when `signers` is empty. */
  problem?: string;
}

export function registerSigners(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get('/api/signers', async (req, reply): Promise<SignersAnswer | FastifyInstance> => {
    if (!requireSignIn(ctx, req, reply)) return reply as never;
    const config = ctx.config();
    const named = config.signers.map((s) => ({ name: s.name, publicKey: s.publicKey }));
    let keys = named;
    if (keys.length === 0) {
      try {
        keys = (await trustedSignerKeys(ctx.sodium, config)).keys.map((publicKey) => ({ name: 'gateway', publicKey }));
      } catch (error) {
        ctx.log.warn({ err: (error as Error).message }, 'console: no gateway signing key to verify recordings with');
        return { signers: [], problem: (error as Error).message };
      }
    }
    return {
      signers: keys.map((k) => ({ name: k.name, publicKey: toBase64(k.publicKey), line: formatSignerPublicLine(ctx.sodium, k.publicKey) })),
    };
  });
}
