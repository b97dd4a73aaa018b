/**
 * NlaServer and NlaClient over a stream that delivers one byte at a time, and
 * the CredSSP server fed garbage: every TSRequest is reassembled across reads,
 * the bytes after the exchange are handed on, and bad input only ever ends in
 * a protocol or NLA error.
 */
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { generateSelfSignedCertificate } from '../daemon/tls-cert.js';
import { ProtocolError } from '../errors.js';
import { encodeTsRequest } from './credssp-messages.js';
import { CredsspServer } from './credssp-server.js';
import { certificatePublicKey, EarlyUserAuth, earlyUserAuthResult, NlaClient, NlaError, NlaServer, Status } from './nla-session.js';
import { ntHash } from './ntlm-crypto.js';
import { encodeNegotiate } from './ntlm-messages.js';

/** Two connected ends; what one writes reaches the other one byte per read. */
function bytewisePair(): [Duplex, Duplex] {
  const make = (): Duplex & { peer?: Duplex } =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, done) {
        const peer = (this as Duplex & { peer: Duplex }).peer;
        for (const byte of chunk) setImmediate(() => peer.push(Buffer.from([byte])));
        setImmediate(done);
      },
    });
  const a = make();
  const b = make();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

const { certPem } = generateSelfSignedCertificate({ commonName: 'recgate' });
const lookup = (user: string): Buffer | null => (user === 'alice+win01' ? ntHash('Typed-pw-1') : null);

test('NLA completes when every byte arrives on its own, and the bytes after it are handed on', async () => {
  const [toClient, toServer] = bytewisePair();
  const server = new NlaServer({ certificate: certPem, ntHashLookup: lookup }).accept(toServer);
  await new NlaClient({ user: 'alice+win01', password: 'Typed-pw-1', certificate: certPem }).login(toClient);
  toClient.write(Buffer.from([3, 0, 0, 9]));
  const result = await server;
  assert.deepEqual(result.credentials, { domain: '', user: 'alice+win01', password: 'Typed-pw-1' });
  const after: Buffer[] = [result.rest];
  toServer.on('data', (d: Buffer) => after.push(d));
  toServer.resume();
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(Buffer.concat(after), Buffer.from([3, 0, 0, 9]));
});

test('a wrong password ends both sides with STATUS_LOGON_FAILURE', async () => {
  const [toClient, toServer] = bytewisePair();
  const server = new NlaServer({ certificate: certPem, ntHashLookup: lookup }).accept(toServer).catch((e: unknown) => e);
  const client = await new NlaClient({ user: 'alice+win01', password: 'not-it', certificate: certPem }).login(toClient).catch((e: unknown) => e);
  const refused = await server;
  for (const err of [client, refused]) {
    assert.ok(err instanceof NlaError && err.status === Status.LOGON_FAILURE, String(err));
    assert.ok(!err.message.includes('not-it'));
  }
});

test('the certificate\'s SubjectPublicKey is the key without its algorithm or unused-bits byte', () => {
  const key = certificatePublicKey(certPem);
  assert.equal(key.length, 65, 'an uncompressed P-256 point');
  assert.equal(key[0], 0x04);
});

test('the CredSSP server fed arbitrary TSRequests ends only in protocol or NLA errors', async () => {
  const token = fc.oneof(
    fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b)),
    fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.concat([Buffer.from('NTLMSSP\0\x03\0\0\0', 'latin1'), b])),
  );
  await fc.assert(
    fc.asyncProperty(token, fc.option(fc.uint8Array({ maxLength: 60 })), fc.integer({ min: 0, max: 9 }), async (second, pubKeyAuth, version) => {
      const server = new CredsspServer({ publicKey: certificatePublicKey(certPem), ntHashLookup: lookup });
      await server.receive(encodeTsRequest({ version, negoTokens: [encodeNegotiate({ flags: 0xe2088235 })] }));
      try {
        await server.receive(encodeTsRequest({ version, negoTokens: [second], ...(pubKeyAuth ? { pubKeyAuth: Buffer.from(pubKeyAuth) } : {}) }));
        assert.fail('accepted garbage');
      } catch (err) {
        assert.ok(err instanceof ProtocolError || err instanceof NlaError, String(err));
      }
    }),
    { numRuns: 300 },
  );
});

test('earlyUserAuthResult is 4 bytes, little-endian (MS-RDPBCGR 2.2.10.2)', () => {
  assert.deepEqual(earlyUserAuthResult(EarlyUserAuth.SUCCESS), Buffer.from([0, 0, 0, 0]));
  assert.deepEqual(earlyUserAuthResult(EarlyUserAuth.ACCESS_DENIED), Buffer.from([5, 0, 0, 0]));
});
