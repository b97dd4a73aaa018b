import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';

import { tlsServerEndPoint } from '../auth/scram.js';
import { ConfigError } from '../errors.js';
import { generateSelfSignedCertificate, ipAddressBytes } from './tls-cert.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

function near(actual: string, expected: number, slack = 2 * 60_000): void {
  const t = Date.parse(actual);
  assert.ok(Math.abs(t - expected) <= slack, `${actual} is not near ${new Date(expected).toISOString()}`);
}

test('the certificate parses, names and validity are right, and it verifies under its own key', () => {
  const now = Date.now();
  const { certPem, keyPem } = generateSelfSignedCertificate({ commonName: 'recgate gateway' });
  const x509 = new X509Certificate(certPem);
  assert.equal(x509.subject, 'CN=recgate gateway');
  assert.equal(x509.issuer, 'CN=recgate gateway');
  assert.equal(x509.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  near(x509.validFrom, now - HOUR);
  near(x509.validTo, now + 3650 * DAY);
  assert.equal(x509.ca, false);
  assert.deepEqual(x509.keyUsage, ['1.3.6.1.5.5.7.3.1']); // Node reports extendedKeyUsage here: serverAuth
  assert.match(x509.serialNumber, /^[0-7][0-9A-F]{31}$/i, '16 bytes, positive');
  assert.equal(x509.publicKey.asymmetricKeyType, 'ec');
  assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(x509.verify(x509.publicKey), true);
  assert.equal(x509.checkPrivateKey(createPrivateKey(keyPem)), true);
  assert.equal(x509.checkHost('localhost'), 'localhost');
  assert.equal(x509.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(x509.checkIP('::1'), '::1');
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  // Channel binding for this certificate (ecdsa-with-SHA256) is SHA-256 of its DER.
  assert.deepEqual(tlsServerEndPoint(x509.raw), createHash('sha256').update(x509.raw).digest());
  // Each call makes a new key and serial.
  const again = new X509Certificate(generateSelfSignedCertificate({ commonName: 'recgate gateway' }).certPem);
  assert.notEqual(again.serialNumber, x509.serialNumber);
  assert.notEqual(again.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'), x509.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'));
});

test('custom names, short and far-future validity (GeneralizedTime from 2050)', () => {
  const now = Date.now();
  const { certPem } = generateSelfSignedCertificate({
    commonName: 'gw.example.test',
    altNames: ['gw.example.test', '*.gw.example.test', '10.0.0.5', '2001:db8::1', '::ffff:192.0.2.1'],
    days: 7,
  });
  const x509 = new X509Certificate(certPem);
  assert.equal(
    x509.subjectAltName,
    'DNS:gw.example.test, DNS:*.gw.example.test, IP Address:10.0.0.5, IP Address:2001:DB8:0:0:0:0:0:1, IP Address:0:0:0:0:0:FFFF:C000:201',
  );
  near(x509.validTo, now + 7 * DAY);
  assert.equal(x509.checkHost('a.gw.example.test'), '*.gw.example.test');

  const far = new X509Certificate(generateSelfSignedCertificate({ commonName: 'far', days: 40 * 365 }).certPem);
  near(far.validTo, now + 40 * 365 * DAY);
  assert.ok(new Date(far.validTo).getUTCFullYear() >= 2050);
  const der = far.raw;
  assert.ok(der.includes(Buffer.from([0x18, 0x0f])), 'notAfter is a GeneralizedTime');
  assert.equal(far.verify(far.publicKey), true);
});

test('bad options are refused with ConfigError', () => {
  assert.throws(() => generateSelfSignedCertificate({ commonName: '' }), ConfigError);
  assert.throws(() => generateSelfSignedCertificate({ commonName: 'x'.repeat(65) }), ConfigError);
  assert.throws(() => generateSelfSignedCertificate({ commonName: 'a', altNames: [] }), ConfigError);
  for (const name of ['bad name', 'ünïcode.example', 'a..b', '-a.example', 'a/b', '', 'trailing.dot.', 'x'.repeat(64) + '.example']) {
    assert.throws(() => generateSelfSignedCertificate({ commonName: 'a', altNames: [name] }), ConfigError, name);
  }
  for (const days of [0, -1, 1.5, 3_000_000, 1e9, Number.NaN]) {
    assert.throws(() => generateSelfSignedCertificate({ commonName: 'a', days }), ConfigError, String(days));
  }
});

test('IP addresses become their network-order bytes', () => {
  assert.equal(ipAddressBytes('127.0.0.1').toString('hex'), '7f000001');
  assert.equal(ipAddressBytes('::1').toString('hex'), '00000000000000000000000000000001');
  assert.equal(ipAddressBytes('::').toString('hex'), '00000000000000000000000000000000');
  assert.equal(ipAddressBytes('2001:db8::1').toString('hex'), '20010db8000000000000000000000001');
  assert.equal(ipAddressBytes('fe80::1:2%eth0').toString('hex'), 'fe800000000000000000000000010002');
  assert.equal(ipAddressBytes('1:2:3:4:5:6:7:8').toString('hex'), '00010002000300040005000600070008');
  assert.equal(ipAddressBytes('1::').toString('hex'), '00010000000000000000000000000000');
  assert.equal(ipAddressBytes('::ffff:192.0.2.1').toString('hex'), '00000000000000000000ffffc0000201');
  assert.throws(() => ipAddressBytes('localhost'), ConfigError);
});

test('Debian’s openssl accepts it', () => {
  const { certPem } = generateSelfSignedCertificate({ commonName: 'recgate gateway' });
  const out = execFileSync('/usr/bin/openssl', ['x509', '-noout', '-text'], { input: certPem, encoding: 'utf8' });
  for (const line of [
    'Version: 3 (0x2)',
    'Signature Algorithm: ecdsa-with-SHA256',
    'Issuer: CN = recgate gateway',
    'Subject: CN = recgate gateway',
    'NIST CURVE: P-256',
    'X509v3 Basic Constraints: critical',
    'CA:FALSE',
    'X509v3 Key Usage: critical',
    'Digital Signature',
    'TLS Web Server Authentication',
    'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
  ]) {
    assert.ok(out.includes(line), `openssl output lacks ${line}`);
  }
  // The DER round-trips through openssl unchanged (it is canonical enough for OpenSSL to re-encode identically).
  const der = execFileSync('/usr/bin/openssl', ['x509', '-outform', 'DER'], { input: certPem });
  assert.deepEqual(der, new X509Certificate(certPem).raw);
});

test('a real TLS handshake trusts it by name and by IP address', async () => {
  const { certPem, keyPem } = generateSelfSignedCertificate({ commonName: 'recgate gateway' });
  const server = tls.createServer({ cert: certPem, key: keyPem }, (socket) => socket.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    for (const servername of ['localhost', undefined]) {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: certPem, ...(servername ? { servername } : {}) });
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      assert.equal(socket.authorized, true, String(socket.authorizationError));
      const peer = socket.getPeerX509Certificate();
      assert.ok(peer);
      assert.deepEqual(peer.raw, new X509Certificate(certPem).raw);
      assert.deepEqual(tlsServerEndPoint(peer.raw), createHash('sha256').update(peer.raw).digest());
      socket.destroy();
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
