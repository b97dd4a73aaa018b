/**
 * The gateway's own keys, generated on first start when missing:
 * the Ed25519 signing key that signs every recording's checkpoints (with its
 * public line in `<signingKey>.pub` for verifiers), the SSH host key, and the
 * TLS certificate the database listeners present (self-signed, ECDSA P-256).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KeyError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  formatSignerPublicLine,
  formatSigningKeyFile,
  generateSigningKey,
  parseSignerPublicLine,
  parseSigningKeyFile,
  type SigningKeyPair,
} from '../seal/signing.js';
import type { Sodium } from '../seal/sodium.js';
import { generateSshHostKey } from './ssh-host-key.js';
import { generateSelfSignedCertificate } from './tls-cert.js';

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

async function writeKeyFile(path: string, text: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, text, { mode, flag: 'wx' });
  } catch (err) {
    throw new KeyError(`cannot write ${path}: ${(err as Error).message}`);
  }
}

export async function ensureSigningKey(s: Sodium, path: string, log: Logger): Promise<SigningKeyPair> {
  const existing = await readIfExists(path);
  if (existing !== undefined) {
    const pair = parseSigningKeyFile(s, existing, path);
    if ((await readIfExists(`${path}.pub`)) === undefined) {
      await writeKeyFile(`${path}.pub`, formatSignerPublicLine(s, pair.publicKey, 'recgate gateway') + '\n', 0o644);
    }
    return pair;
  }
  const pair = generateSigningKey(s);
  await writeKeyFile(path, formatSigningKeyFile(s, pair), 0o600);
  await writeKeyFile(`${path}.pub`, formatSignerPublicLine(s, pair.publicKey, 'recgate gateway') + '\n', 0o644);
  log.info({ path }, 'generated the gateway signing key');
  return pair;
}

/** The signer public key verifiers trust: `<signingKey>.pub`, else derived from the key itself. */
export async function readSignerPublicKey(s: Sodium, signingKeyPath: string): Promise<Uint8Array> {
  const line = await readIfExists(`${signingKeyPath}.pub`);
  if (line !== undefined) return parseSignerPublicLine(s, line, `${signingKeyPath}.pub`).publicKey;
  const secret = await readIfExists(signingKeyPath);
  if (secret === undefined) {
    throw new KeyError(`no gateway signing key at ${signingKeyPath} (nor ${signingKeyPath}.pub): nothing to verify signatures against`);
  }
  const pair = parseSigningKeyFile(s, secret, signingKeyPath);
  s.memzero(pair.secretKey);
  return pair.publicKey;
}

export async function ensureHostKey(path: string, log: Logger): Promise<void> {
  if ((await readIfExists(path)) !== undefined) return;
  const { privateKey, publicKey } = generateSshHostKey('recgate');
  await writeKeyFile(path, privateKey, 0o600);
  await writeKeyFile(`${path}.pub`, publicKey, 0o644);
  log.info({ path }, 'generated the SSH host key');
}

/** The database listeners' certificate and key: generated (self-signed) when both are missing. */
export async function ensureTlsCertificate(certPath: string, keyPath: string, log: Logger): Promise<void> {
  const [cert, key] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (cert !== undefined && key !== undefined) return;
  if (cert !== undefined || key !== undefined) {
    throw new KeyError(`TLS ${cert === undefined ? `certificate ${certPath}` : `key ${keyPath}`} is missing while its pair exists; give both or neither`);
  }
  const { certPem, keyPem } = generateSelfSignedCertificate({ commonName: 'recgate' });
  await writeKeyFile(keyPath, keyPem, 0o600);
  await writeKeyFile(certPath, certPem, 0o644);
  log.info({ cert: certPath }, 'generated a self-signed TLS certificate for the database listeners');
}
