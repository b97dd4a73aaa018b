/**
 * What the gateway negotiates, on both legs: only modern algorithms.
 * Key exchange: Curve25519 first, then NIST ECDH and DH group 16/18 with SHA-512
 * (sntrup761 and ML-KEM hybrids are not available in ssh2). Strict key exchange
 * (kex-strict-*-v00@openssh.com, the Terrapin mitigation) is always offered by
 * ssh2 ≥ 1.15 and used when the peer offers it too.
 */
import type { Algorithms } from 'ssh2';

export const ALGORITHMS: Algorithms = {
  kex: [
    'curve25519-sha256',
    'curve25519-sha256@libssh.org',
    'ecdh-sha2-nistp256',
    'ecdh-sha2-nistp384',
    'ecdh-sha2-nistp521',
    'diffie-hellman-group16-sha512',
    'diffie-hellman-group18-sha512',
  ],
  cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes256-ctr', 'aes128-ctr'],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'],
  serverHostKey: ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'],
  compress: ['none'],
};
