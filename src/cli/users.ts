import { hashPassword } from '../auth/passwords.js';
import { makeNativeVerifier } from '../auth/mysql-auth.js';
import { makeScramVerifier } from '../auth/scram.js';
import { ntHash } from '../auth/ntlm-crypto.js';
import { defaultSodium } from '../seal/sodium.js';
import { usageError } from '../errors.js';
import { readSecret } from './prompt.js';

/**
 * `users hash`: prints the Argon2id hash to put in `users[].password`, or with
 * `--scram` the SCRAM-SHA-256 verifier for `users[].scram` (PostgreSQL logins), or with
 * `--mysql-native` the mysql_native_password hash for `users[].mysqlNative`, or with
 * `--nt` the NT hash for `users[].rdpNtHash` (RDP Network Level Authentication).
 */
export async function hashUserPassword(options: { scram?: boolean; mysqlNative?: boolean; nt?: boolean }): Promise<void> {
  if ([options.scram, options.mysqlNative, options.nt].filter(Boolean).length > 1) throw usageError('give one of --scram, --mysql-native and --nt');
  const password = await readSecret('Password: ', { confirm: true, what: 'the password', otherwise: "pipe it in as the first line (printf '%s\\n' \"$PASSWORD\" | recgate users hash), or run the command in a terminal" });
  if (password.length === 0) throw usageError('the password must not be empty');
  const line = options.nt ? ntHash(password).toString('hex') : options.scram ? makeScramVerifier(password) : options.mysqlNative ? makeNativeVerifier(password) : hashPassword(defaultSodium(), password);
  process.stdout.write(line + '\n');
}
