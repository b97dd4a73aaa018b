/**
 * The gateway's own keys, generated on first start when missing:
 * the Ed25519 signing key that signs every recording's checkpoints and the
 * log (with its public line in `<signingKey>.pub`), the SSH host key, and the
 * TLS certificate the database listeners present (self-signed, ECDSA P-256).
 *
 * Verifiers trust the config's `signers` only; without them, the `.pub`
 * beside the signing key when it lies outside the data directory, never a
 * key whoever writes the store could have put there.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KeyError } from '../errors.js';
import { isInsideDir, type Config } from '../config/index.js';
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

export const SIGNER_COMMENT = 'recgate gateway';

export async function ensureSigningKey(s: Sodium, path: string, log: Logger): Promise<SigningKeyPair> {
  const existing = await readIfExists(path);
  const publicLine = (pair: SigningKeyPair): string => formatSignerPublicLine(s, pair.publicKey, SIGNER_COMMENT) + '\n';
  try {
    if (existing !== undefined) {
      const pair = parseSigningKeyFile(s, existing, path);
      if ((await readIfExists(`${path}.pub`)) === undefined) await writeKeyFile(`${path}.pub`, publicLine(pair), 0o644);
      return pair;
    }
    const pair = generateSigningKey(s);
    await writeKeyFile(path, formatSigningKeyFile(s, pair), 0o600);
    await writeKeyFile(`${path}.pub`, publicLine(pair), 0o644);
    log.info({ path }, 'generated the gateway signing key');
    return pair;
  } catch (err) {
    if (!(err instanceof KeyError) || existing !== undefined) throw err;
    throw new KeyError(`${err.message} (the signing key is generated beside the config unless gateway.signingKey names another writable path outside the data directory)`);
  }
}

/**
 * The keys verification trusts: the config's `signers`; without them, the
 * `.pub` beside the signing key when it lies outside the data directory
 * (with a notice saying how to pin it), else a refusal.
 */
export async function trustedSignerKeys(s: Sodium, config: Config): Promise<{ keys: Uint8Array[]; notice?: string }> {
  if (config.signers.length > 0) return { keys: config.signers.map((signer) => signer.publicKey) };
  const pub = `${config.gateway.signingKey}.pub`;
  const pin = `pin the gateway's key in the config: signers: [{ name: gateway, publicKey: "<the line of ${pub}>" }]`;
  if (isInsideDir(config.gateway.dataDir, pub)) {
    throw new KeyError(`no signers configured, and ${pub} lies inside the data directory, where whoever writes the store could replace it; ${pin}`);
  }
  const line = await readIfExists(pub);
  if (line === undefined) throw new KeyError(`no signers configured, and no ${pub} to trust; ${pin}`);
  const { publicKey } = parseSignerPublicLine(s, line, pub);
  return { keys: [publicKey], notice: `no signers configured: trusting ${pub}; pin it with signers: [{ name: gateway, publicKeyFile: ${pub} }]` };
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
