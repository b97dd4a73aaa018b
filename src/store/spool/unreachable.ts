/**
 * Tells a store that cannot be reached (worth spooling for and retrying)
 * from a store that refused the write (a constraint violation, a bad
 * argument: an error that retrying would only repeat). Goes through the
 * error's `cause` chain, as stores wrap the driver's errors.
 */

/** Socket-level failures: the server is gone, restarting, or the network is. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'ENOTCONN', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * SQLSTATEs that say the server, not the write, is the problem: class 08
 * (connection exception), 57P01–57P03 (terminated by the administrator,
 * crash shutdown, cannot connect now: pg_terminate_backend, a restart),
 * 53300 (too many connections), 40001/40P01 are not here: they are answers.
 */
function unreachableSqlState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

/** Messages node-postgres gives when a connection ends or never comes up. */
const DRIVER_MESSAGES = [
  /connection terminated/i,
  /connection timeout/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /query read timeout/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

/** Marks an error, in tests and wrappers, as the store being out of reach. */
export class StoreUnreachableError extends Error {
  readonly unreachable = true;
}

export function isUnreachable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (typeof e !== 'object') return false;
    const x = e as { code?: unknown; message?: unknown; unreachable?: unknown; errors?: unknown };
    if (x.unreachable === true) return true;
    if (typeof x.code === 'string' && (NETWORK_CODES.has(x.code) || (/^[0-9A-Z]{5}$/.test(x.code) && unreachableSqlState(x.code)))) return true;
    if (typeof x.message === 'string' && DRIVER_MESSAGES.some((m) => m.test(x.message as string))) return true;
    // A connection to several addresses (localhost as ::1 and 127.0.0.1) fails as an AggregateError.
    if (Array.isArray(x.errors) && x.errors.length > 0 && x.errors.every((inner) => isUnreachable(inner))) return true;
  }
  return false;
}
