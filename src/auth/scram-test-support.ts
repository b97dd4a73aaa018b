/**
 * What the SCRAM tests share: the RFC 7677 example exchange, a mock secret,
 * channel binding data and small byte helpers. Imported by tests only.
 */
import { createHash } from 'node:crypto';

import { AuthError } from './auth-error.js';

export const mockSecret = Buffer.alloc(32, 0x5a);
export const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
export const text = (s: string): Buffer => Buffer.from(s, 'utf8');
export const binding = createHash('sha256').update('gateway certificate').digest();

export function isAuthError(e: unknown): boolean {
  return e instanceof AuthError && e.code === 'RG_ERR_AUTH';
}

// RFC 7677 §3: user "user", password "pencil".
export const RFC = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};
