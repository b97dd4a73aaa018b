/**
 * `keys generate` and `keys rotate`: auditor key pairs and moving recordings
 * from one auditor key to another without touching a single chunk.
 */
import { constants } from 'node:fs';
import { access, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { environment } from '../config/environment.js';
import { GatewayError, KeyError } from '../errors.js';
import { encryptKeyFile, formatPublicKeyLine, generateAuditorKey, parsePublicKeyLine, wipeKeyPair } from '../seal/keys.js';
import { defaultSodium } from '../seal/sodium.js';
import { rotateRecordings, type RotationResult } from '../store/rotation.js';
import { usageError, withContext, type GlobalOptions } from './context.js';
import { printable } from './printable.js';
import { PASSPHRASE_HINT, readSecret } from './prompt.js';

export async function generateKey(options: GlobalOptions & { out: string; name?: string }): Promise<void> {
  const s = defaultSodium();
  // Everything that can fail about the files fails before the passphrase is asked twice and derived.
  await prepareOutput(options.out);
  const passphrase =
    environment().passphrase ??
    (await readSecret(`Passphrase for ${options.out}: `, { confirm: true, what: `a passphrase for ${options.out}`, otherwise: PASSPHRASE_HINT }));
  if (passphrase.length === 0) throw usageError('the passphrase must not be empty');
  const pair = generateAuditorKey(s);
  try {
    const comment = options.name ?? basename(options.out).replace(/\.key$/, '');
    await writeNew(options.out, encryptKeyFile(s, pair, passphrase), 0o600);
    await writeNew(`${options.out}.pub`, formatPublicKeyLine(s, pair.publicKey, comment) + '\n', 0o644);
    process.stdout.write(`wrote ${options.out} (private, encrypted) and ${options.out}.pub; key id ${pair.kid}\n`);
  } finally {
    wipeKeyPair(s, pair);
  }
}

/**
 * Makes sure FILE and FILE.pub can be written: creates a missing parent folder
 * (mode 0700: it holds private keys), refuses files that exist.
 */
async function prepareOutput(out: string): Promise<void> {
  const dir = dirname(resolve(out));
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new GatewayError('RG_ERR_USAGE', `cannot create the folder ${dir} for ${out}: ${(err as Error).message}`);
  }
  for (const path of [out, `${out}.pub`]) {
    const found = await stat(path).catch(() => undefined);
    if (found) throw new GatewayError('RG_ERR_USAGE', `${path} exists; not overwriting a key (choose another --out)`);
  }
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new GatewayError('RG_ERR_USAGE', `cannot write ${out}: the folder ${dir} is not writable`);
  }
}

async function writeNew(path: string, text: string, mode: number): Promise<void> {
  try {
    await writeFile(path, text, { mode, flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new GatewayError('RG_ERR_USAGE', `${path} exists; not overwriting a key`);
    throw new GatewayError('RG_ERR_USAGE', `cannot write ${path}: ${(err as Error).message}`);
  }
}

export async function rotateKeys(options: GlobalOptions & { from: string; to: string }): Promise<void> {
  await withContext(options, async (ctx) => {
    const s = ctx.sodium;
    let line: string;
    try {
      line = (await readFile(options.to, 'utf8')).trim();
    } catch (err) {
      throw new KeyError(`cannot read public key file ${options.to}: ${(err as Error).message}`);
    }
    const next = parsePublicKeyLine(s, line, options.to);
    const old = await ctx.auditorKey(options.from);
    let result: RotationResult;
    try {
      result = await rotateRecordings(s, ctx.store(), old, { publicKey: next.publicKey, name: next.comment });
    } finally {
      wipeKeyPair(s, old);
    }
    const { rotated, live } = result;
    process.stdout.write(`rotated ${rotated} recording${rotated === 1 ? '' : 's'} from key ${old.kid} to key ${next.kid}\n`);
    if (live.length > 0) {
      process.stderr.write(`recgate: ${live.length} recording(s) still being written were left alone; run again once they end: ${printable(live.join(', '))}\n`);
      process.exitCode = 1;
    }
  });
}
