/**
 * The gateway's CredSSP client and server against each other, in memory:
 * every version's public-key binding, a wrong password, a foreign key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { NlaError, Status } from './credssp-error.js';
import { CredsspClient } from './credssp-client.js';
import { decodeTsRequest, encodeTsRequest } from './credssp-messages.js';
import { CredsspServer, type NlaResult } from './credssp-server.js';
import { ntHash } from './ntlm-crypto.js';
import { encodeNegotiate } from './ntlm-messages.js';

const key = (): Buffer => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).subarray(26);
const hashes = new Map([['alice+win01', ntHash('Typed-pw-1')]]);
const lookup = (user: string): Buffer | null => hashes.get(user) ?? null;

async function exchange(client: CredsspClient, server: CredsspServer): Promise<NlaResult> {
  let toServer = client.start();
  for (;;) {
    const step = await server.receive(toServer);
    if (step.done) return step.done;
    toServer = client.receive(step.reply).reply;
  }
}

for (const version of [2, 3, 4, 5, 6]) {
  test(`CredSSP version ${version}: the server gets the typed credentials when password and key match`, async () => {
    const pk = key();
    const client = new CredsspClient({ user: 'alice+win01', domain: '', password: 'Typed-pw-1', publicKey: pk, version });
    const result = await exchange(client, new CredsspServer({ publicKey: pk, ntHashLookup: lookup }));
    assert.deepEqual(result.credentials, { domain: '', user: 'alice+win01', password: 'Typed-pw-1' });
    assert.equal(result.identity.user, 'alice+win01');
    assert.equal(result.version, version);
  });
}

test('a wrong password is refused with STATUS_LOGON_FAILURE, and the client reads it as a logon failure', async () => {
  const pk = key();
  const client = new CredsspClient({ user: 'alice+win01', domain: 'CORP', password: 'not-it', publicKey: pk });
  const server = new CredsspServer({ publicKey: pk, ntHashLookup: lookup });
  const err = await exchange(client, server).catch((e: unknown) => e);
  assert.ok(err instanceof NlaError);
  assert.match(err.message, /wrong password/);
  assert.doesNotMatch(err.message, /not-it/);
  assert.equal(err.status, Status.LOGON_FAILURE);
  assert.equal(decodeTsRequest(err.reply!).errorCode, Status.LOGON_FAILURE);
  assert.throws(() => client.receive(err.reply!), (e: unknown) => e instanceof NlaError && /refused the user name or password \(STATUS_LOGON_FAILURE\)/.test(e.message));
});

test('a user without an NT hash is refused the same way as a wrong password', async () => {
  const pk = key();
  const client = new CredsspClient({ user: 'bob+win01', domain: '', password: 'Typed-pw-1', publicKey: pk });
  const err = await exchange(client, new CredsspServer({ publicKey: pk, ntHashLookup: lookup })).catch((e: unknown) => e);
  assert.ok(err instanceof NlaError && err.status === Status.LOGON_FAILURE, String(err));
  assert.match(err.message, /no rdpNtHash/);
});

test('a client bound to another TLS key (a machine in the middle) is refused, and so is a server', async () => {
  const client = new CredsspClient({ user: 'alice+win01', domain: '', password: 'Typed-pw-1', publicKey: key() });
  const err = await exchange(client, new CredsspServer({ publicKey: key(), ntHashLookup: lookup })).catch((e: unknown) => e);
  assert.ok(err instanceof NlaError && err.status === Status.ACCESS_DENIED, String(err));
  assert.match(err.message, /another TLS key/);
});

test('SPNEGO or Kerberos tokens are refused clearly', async () => {
  const server = new CredsspServer({ publicKey: key(), ntHashLookup: lookup });
  const spnego = Buffer.from('6048060' + '62b0601050502a03e', 'hex');
  const err = await server.receive(encodeTsRequest({ version: 6, negoTokens: [spnego] })).catch((e: unknown) => e);
  assert.ok(err instanceof NlaError);
  assert.match(err.message, /SPNEGO or Kerberos/);
  assert.equal(decodeTsRequest(err.reply!).errorCode, Status.NOT_SUPPORTED);
});

test('a client that offers only NTLMv1 session security is refused', async () => {
  const server = new CredsspServer({ publicKey: key(), ntHashLookup: lookup });
  await assert.rejects(server.receive(encodeTsRequest({ version: 6, negoTokens: [encodeNegotiate({ flags: 0x1 | 0x200 })] })), /NTLMv1/);
});
