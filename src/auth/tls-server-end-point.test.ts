import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import fc from 'fast-check';

import { AuthError } from './auth-error.js';
import { isAuthError } from './scram-test-support.js';
import { tlsServerEndPoint } from './tls-server-end-point.js';

test('tls-server-end-point hashes with the certificate’s signature hash; MD5/SHA-1 become SHA-256', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recgate-cbind-'));
  try {
    const rsa = join(dir, 'rsa.pem');
    const ec = join(dir, 'ec.pem');
    const ed = join(dir, 'ed.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(ec, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(ed, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const cert = (key: string, ...args: string[]): Buffer => {
      const out = join(dir, 'cert.der');
      execFileSync('/usr/bin/openssl', ['req', '-x509', '-new', '-key', key, '-subj', '/CN=t', '-days', '1', '-outform', 'DER', '-out', out, ...args], { stdio: 'pipe' });
      return readFileSync(out);
    };
    const cases: [string, Buffer, string][] = [
      ['sha1WithRSAEncryption', cert(rsa, '-sha1'), 'sha256'],
      ['md5WithRSAEncryption', cert(rsa, '-md5'), 'sha256'],
      ['sha224WithRSAEncryption', cert(rsa, '-sha224'), 'sha224'],
      ['sha256WithRSAEncryption', cert(rsa, '-sha256'), 'sha256'],
      ['sha384WithRSAEncryption', cert(rsa, '-sha384'), 'sha384'],
      ['sha512WithRSAEncryption', cert(rsa, '-sha512'), 'sha512'],
      ['RSASSA-PSS with SHA-384', cert(rsa, '-sha384', '-sigopt', 'rsa_padding_mode:pss'), 'sha384'],
      ['RSA with SHA3-256', cert(rsa, '-sha3-256'), 'sha3-256'],
      ['ecdsa-with-SHA1', cert(ec, '-sha1'), 'sha256'],
      ['ecdsa-with-SHA384', cert(ec, '-sha384'), 'sha384'],
      ['ecdsa-with-SHA512', cert(ec, '-sha512'), 'sha512'],
      ['ecdsa-with-SHA3-384', cert(ec, '-sha3-384'), 'sha3-384'],
    ];
    for (const [name, der, hash] of cases) {
      assert.deepEqual(tlsServerEndPoint(der), createHash(hash).update(der).digest(), name);
    }
    // Ed25519 signs without a separate hash: PostgreSQL refuses channel binding there, and so do we.
    assert.throws(() => tlsServerEndPoint(cert(ed)), (e: unknown) => isAuthError(e) && /Ed25519/.test((e as Error).message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tls-server-end-point: hand-built structures and malformed DER', () => {
  const der = (tag: number, ...parts: Buffer[]): Buffer => {
    const body = Buffer.concat(parts);
    const len = body.length < 128 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
    return Buffer.concat([Buffer.from([tag]), len, body]);
  };
  const oid = (hex: string): Buffer => der(0x06, Buffer.from(hex, 'hex'));
  const tbs = der(0x30, der(0x02, Buffer.from([1])));
  const sigValue = der(0x03, Buffer.from([0, 1, 2]));
  const certWith = (alg: Buffer): Buffer => der(0x30, tbs, alg, sigValue);
  const pss = '2a864886f70d01010a';
  // RSASSA-PSS with all-default parameters: SHA-1, so SHA-256.
  const pssDefault = certWith(der(0x30, oid(pss), der(0x30)));
  assert.deepEqual(tlsServerEndPoint(pssDefault), createHash('sha256').update(pssDefault).digest());
  const pss512 = certWith(der(0x30, oid(pss), der(0x30, der(0xa0, der(0x30, oid('608648016503040203'), der(0x05)))))); // sha512
  assert.deepEqual(tlsServerEndPoint(pss512), createHash('sha512').update(pss512).digest());
  assert.throws(() => tlsServerEndPoint(certWith(der(0x30, oid(pss)))), /1\.2\.840\.113549\.1\.1\.10/);
  assert.throws(() => tlsServerEndPoint(certWith(der(0x30, oid('2b6571')))), /Ed448/);
  assert.throws(() => tlsServerEndPoint(certWith(der(0x30, oid('2a0304')))), /algorithm 1\.2\.3\.4/);
  const good = certWith(der(0x30, oid('2a8648ce3d040302'))); // ecdsa-with-SHA256
  assert.deepEqual(tlsServerEndPoint(good), createHash('sha256').update(good).digest());
  for (const bad of [
    Buffer.alloc(0),
    Buffer.from([0x30]),
    Buffer.from([0x30, 0x80, 0, 0]),
    Buffer.concat([good, Buffer.from([0])]),
    good.subarray(0, good.length - 1),
    der(0x31, tbs, der(0x30, oid('2a8648ce3d040302')), sigValue),
    certWith(der(0x30, der(0x05))),
    certWith(der(0x30, oid(''))),
    certWith(der(0x30, oid('2a86'))),
  ]) {
    assert.throws(() => tlsServerEndPoint(bad), AuthError, bad.toString('hex'));
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      try {
        tlsServerEndPoint(Buffer.from(bytes));
      } catch (e) {
        assert.ok(isAuthError(e), String(e));
      }
    }),
    { numRuns: 3000 },
  );
});
