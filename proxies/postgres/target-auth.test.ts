/**
 * The gateway's answers to a PostgreSQL target's authentication requests:
 * what each target config lets through, and that a refusal comes before
 * anything about the password is sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { md5PasswordResponse } from '../../src/auth/md5-password.js';
import { databaseTarget } from '../../test/fixtures/target-config.js';
import { TargetAuthenticator } from './target-auth.js';
import { TargetError } from './target-error.js';

const PASSWORD = 'Target-Password-81f3';
const SALT = Buffer.from([1, 2, 3, 4]);
const PIN = '00'.repeat(32);

function authenticator(keys: Record<string, unknown>, tls = keys.tls !== 'disable'): TargetAuthenticator {
  const target = databaseTarget('postgres', { name: 'pg01', port: 5432, user: 'app', password: PASSWORD }, keys);
  return new TargetAuthenticator(target, { tls });
}

async function refusal(auth: TargetAuthenticator, request: Parameters<TargetAuthenticator['answer']>[0]): Promise<TargetError> {
  const err = await auth.answer(request).then(
    () => assert.fail('answered'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof TargetError, String(err));
  assert.ok(!err.message.includes(PASSWORD));
  return err;
}

/** The body of a PasswordMessage ('p', length, string NUL). */
const passwordOf = (message: Buffer | null): string => message!.subarray(5, message!.length - 1).toString('utf8');

describe('without verified TLS', () => {
  for (const tls of ['disable', 'prefer', 'require']) {
    it(`tls: ${tls} refuses cleartext and md5, and names what to configure`, async () => {
      const cleartext = await refusal(authenticator({ tls }), { kind: 'cleartext-password' });
      assert.equal(cleartext.sqlstate, '28000');
      assert.equal(
        cleartext.message,
        "recgate: pg01 asks for password authentication, which would let it read the password; refused: the gateway sends it only when the target's TLS is verified (tls: verify-full or a tlsPin) and its auth allows password",
      );
      const md5 = await refusal(authenticator({ tls }), { kind: 'md5-password', salt: SALT });
      assert.match(md5.message, /^recgate: pg01 asks for md5 authentication, which would let it read the password; refused/);
    });
  }

  it('answers SCRAM', async () => {
    const first = await authenticator({ tls: 'prefer' }).answer({ kind: 'sasl', mechanisms: ['SCRAM-SHA-256'] });
    assert.match(first!.toString('latin1'), /SCRAM-SHA-256\0.*n,,n=,r=/s);
  });

  it('a pin counts only on the TLS it was checked on', async () => {
    await refusal(authenticator({ tls: 'require', tlsPin: PIN }, false), { kind: 'md5-password', salt: SALT });
  });
});

describe('with verified TLS', () => {
  for (const keys of [{ tls: 'verify-full' }, { tls: 'require', tlsPin: PIN }]) {
    it(`${JSON.stringify(keys)} answers md5 and cleartext by default`, async () => {
      assert.equal(passwordOf(await authenticator(keys).answer({ kind: 'md5-password', salt: SALT })), md5PasswordResponse('app', PASSWORD, SALT));
      assert.equal(passwordOf(await authenticator(keys).answer({ kind: 'cleartext-password' })), PASSWORD);
    });
  }

  it('keeps to the auth list', async () => {
    const scramOnly = await refusal(authenticator({ tls: 'verify-full', auth: ['scram-sha-256'] }), { kind: 'md5-password', salt: SALT });
    assert.equal(scramOnly.message, "recgate: pg01 asks for md5 authentication, which the target's auth setting does not allow (auth: [scram-sha-256]); refused");
    const md5Only = await refusal(authenticator({ tls: 'verify-full', auth: ['md5'] }), { kind: 'sasl', mechanisms: ['SCRAM-SHA-256'] });
    assert.equal(md5Only.message, "recgate: pg01 asks for scram-sha-256 authentication, which the target's auth setting does not allow (auth: [md5]); refused");
    await refusal(authenticator({ tls: 'verify-full', auth: ['md5'] }), { kind: 'cleartext-password' });
  });
});

it('an AuthenticationOk before the SCRAM signature verifies is refused', async () => {
  const auth = authenticator({ tls: 'disable' });
  await auth.answer({ kind: 'sasl', mechanisms: ['SCRAM-SHA-256'] });
  const err = await refusal(auth, { kind: 'ok' });
  assert.match(err.message, /skipped proving it knows the password/);
  assert.equal(auth.authenticated, false);
});

it('a server that asks for nothing is accepted (no password is involved)', async () => {
  const auth = authenticator({ tls: 'disable' });
  assert.equal(await auth.answer({ kind: 'ok' }), null);
  assert.equal(auth.authenticated, true);
});
