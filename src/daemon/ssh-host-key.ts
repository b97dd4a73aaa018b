/**
 * The gateway's SSH host key: an Ed25519 key in OpenSSH's private key format
 * (PROTOCOL.key in the OpenSSH sources), unencrypted, mode 0600:
 *
 *   "openssh-key-v1\0" | string "none" (cipher) | string "none" (kdf) | string "" (kdf options)
 *   | uint32 1 | string public-key-blob | string private-section
 *   private-section := uint32 check | uint32 check | string "ssh-ed25519" | string pk[32]
 *                      | string (seed[32] | pk[32]) | string comment | padding 1,2,3.. to 8
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';

function sshString(data: Uint8Array | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** A new Ed25519 host key as OpenSSH private key text, and its public key line. */
export function generateSshHostKey(comment = 'recgate'): { privateKey: string; publicKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pk = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pk)]);
  const check = randomBytes(4).readUInt32BE(0);
  let section = Buffer.concat([
    uint32(check),
    uint32(check),
    sshString('ssh-ed25519'),
    sshString(pk),
    sshString(Buffer.concat([seed, pk])),
    sshString(comment),
  ]);
  const pad = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  seed.fill(0);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(section),
  ]);
  section.fill(0);
  const b64 = body.toString('base64').replace(/.{1,70}/g, '$&\n');
  body.fill(0);
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `ssh-ed25519 ${publicBlob.toString('base64')} ${comment}\n`,
  };
}
