/**
 * Network Level Authentication over a TLS connection (MS-CSSP, MS-RDPBCGR
 * 5.4.5.2): the socket glue around the pure CredSSP state machines.
 * `NlaServer` faces the person, `NlaClient` faces the target.
 */
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { NlaError, Status } from './credssp-error.js';
import { certificatePublicKey } from './credssp-binding.js';
import { CredsspClient } from './credssp-client.js';
import { MAX_TS_REQUEST, tsRequestSize } from './credssp-messages.js';
import { CredsspServer, type NlaResult } from './credssp-server.js';
import type { NtHashLookup } from './ntlm-server.js';

export { certificatePublicKey } from './credssp-binding.js';
export { NlaError, Status } from './credssp-error.js';
export type { NlaResult } from './credssp-server.js';

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Feeds whole TSRequests from `socket` to `step`, one at a time, until it says
 * done; returns the bytes read past the last one (the next protocol's).
 */
function converse(socket: Duplex, timeoutMs: number, step: (message: Buffer) => Promise<boolean>): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let pending = Buffer.alloc(0);
    let busy = false;
    let settled = false;
    const finish = (err: unknown, rest?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      socket.pause();
      if (err) reject(err);
      else resolve(rest!);
    };
    const pump = async (): Promise<void> => {
      while (!busy && !settled) {
        const size = tsRequestSize(pending);
        if (size === null || pending.length < size) return;
        const message = Buffer.from(pending.subarray(0, size));
        pending = pending.subarray(size);
        busy = true;
        const done = await step(message);
        busy = false;
        if (done) return finish(null, Buffer.from(pending));
      }
    };
    const onData = (chunk: Buffer): void => {
      pending = Buffer.concat([pending, chunk]);
      // Bytes that arrive while a message is being answered wait here: at most one more TSRequest's worth.
      if (pending.length > 2 * MAX_TS_REQUEST) return finish(new NlaError('the peer sent more than a TSRequest before its answer', Status.LOGON_FAILURE));
      pump().catch((err) => finish(err));
    };
    const onClose = (): void => finish(new NlaError('the peer closed the connection during Network Level Authentication', Status.LOGON_FAILURE));
    const onError = (err: Error): void => finish(new NlaError(`connection failed during Network Level Authentication: ${err.message}`, Status.LOGON_FAILURE, { cause: err }));
    const timer = setTimeout(() => finish(new NlaError(`Network Level Authentication did not finish within ${timeoutMs / 1000} s`, Status.LOGON_FAILURE)), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    socket.resume();
  });
}

const write = (socket: Duplex, bytes: Buffer): void => {
  if (!socket.destroyed) socket.write(bytes);
};

export interface NlaServerOptions {
  /** The certificate the gateway presents to the person in TLS. */
  certificate: X509Certificate | Buffer | string;
  /** The NT hash of a gateway user (users[].rdpNtHash), or null. */
  ntHashLookup: NtHashLookup;
  computerName?: string;
  timeoutMs?: number;
}

export class NlaServer {
  private readonly publicKey: Buffer;

  constructor(private readonly options: NlaServerOptions) {
    this.publicKey = certificatePublicKey(options.certificate);
  }

  /**
   * Runs CredSSP with the person on `socket` (TLS already up). Resolves with who
   * authenticated and the credentials they typed, plus any bytes read after the
   * last TSRequest. On a wrong password the client is sent errorCode
   * STATUS_LOGON_FAILURE first, then the NlaError is thrown.
   */
  async accept(socket: Duplex): Promise<NlaResult & { rest: Buffer }> {
    const server = new CredsspServer({ publicKey: this.publicKey, ntHashLookup: this.options.ntHashLookup, ...(this.options.computerName ? { computerName: this.options.computerName } : {}) });
    let result: NlaResult | undefined;
    try {
      const rest = await converse(socket, this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS, async (message) => {
        const step = await server.receive(message);
        if (step.reply) write(socket, step.reply);
        else result = step.done;
        return result !== undefined;
      });
      return { ...result!, rest };
    } catch (err) {
      if (err instanceof NlaError && err.reply) write(socket, err.reply);
      throw err;
    }
  }
}

export interface NlaClientOptions {
  user: string;
  domain?: string;
  password: string;
  /** The certificate expected from the target; by default the one its TLS socket presented. */
  certificate?: X509Certificate | Buffer | string;
  timeoutMs?: number;
}

export class NlaClient {
  constructor(private readonly options: NlaClientOptions) {}

  /** Runs CredSSP with the target on `socket` (TLS already up); resolves once the credentials are sent. */
  async login(socket: TLSSocket | Duplex): Promise<{ rest: Buffer }> {
    const cert = this.options.certificate ?? (socket as TLSSocket).getPeerX509Certificate?.();
    if (!cert) throw new NlaError('the target presented no TLS certificate to bind CredSSP to', Status.ACCESS_DENIED);
    const client = new CredsspClient({ user: this.options.user, domain: this.options.domain ?? '', password: this.options.password, publicKey: certificatePublicKey(cert) });
    write(socket, client.start());
    try {
      const rest = await converse(socket, this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS, async (message) => {
        const step = client.receive(message);
        write(socket, step.reply);
        return step.done;
      });
      return { rest };
    } catch (err) {
      // Servers that send no errorCode (FreeRDP's) close the connection on a wrong password.
      if (err instanceof NlaError && client.authenticated && /closed/.test(err.message)) {
        throw new NlaError('the target closed the connection after the NTLM response: it refused the user name or password', Status.LOGON_FAILURE, { cause: err });
      }
      throw err;
    }
  }
}

/**
 * earlyUserAuthResult (MS-RDPBCGR 2.2.10.2): with HYBRID_EX the server tells the
 * client in 4 bytes, after CredSSP, whether the user may log on.
 */
export const EarlyUserAuth = { SUCCESS: 0x00000000, ACCESS_DENIED: 0x00000005 } as const;

export function earlyUserAuthResult(code: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(code);
  return b;
}
