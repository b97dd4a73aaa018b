import { hashPassword } from '../auth/passwords.js';
import { defaultSodium } from '../seal/sodium.js';
import { usageError } from './context.js';
import { readSecret } from './prompt.js';

/** `users hash`: prints the Argon2id hash to put in `users[].password`. */
export async function hashUserPassword(): Promise<void> {
  const password = await readSecret('Password: ', { confirm: true });
  if (password.length === 0) throw usageError('the password must not be empty');
  process.stdout.write(hashPassword(defaultSodium(), password) + '\n');
}
