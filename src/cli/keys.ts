/**
 * `keys generate` and `keys rotate`: auditor key pairs and moving recordings
 * from one auditor key to another without touching a single chunk.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { environment } from '../config/environment.js';
import { loadConfig } from '../config/index.js';
import { describeDiff } from '../config/reload.js';
import { GatewayError, KeyError, NotFoundError } from '../errors.js';
import { encryptKeyFile, formatPublicKeyLine, generateAuditorKey, parsePublicKeyLine, wipeKeyPair } from '../seal/keys.js';
import { defaultSodium } from '../seal/sodium.js';
import { rotateRecordings, type RotationResult } from '../store/rotation.js';
import { storeTiers } from '../store/tiered.js';
import { usageError } from '../errors.js';
import { withContext, type GlobalOptions } from './context.js';
import { applyRecipientEdit, describeEdit, recipientEdit, type RecipientEdit } from './keys-config.js';
import { printable } from './printable.js';
import { PASSPHRASE_HINT, readSecret } from './prompt.js';
import { request } from './sessions.js';

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

export async function rotateKeys(options: GlobalOptions & { from: string; to: string; updateConfig?: string }): Promise<void> {
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
    const configFile = options.updateConfig === undefined ? ctx.configPath : resolve(options.updateConfig);
    const config = configFile === ctx.configPath ? ctx.config : loadConfig(configFile, process.env, { targetSecrets: 'defer' });
    const named = config.recipients.find((r) => Buffer.compare(Buffer.from(r.publicKey), Buffer.from(next.publicKey)) === 0);
    const edit = named ? null : recipientEdit(config, old.publicKey, next.comment || basename(options.to).replace(/\.key\.pub$|\.pub$/, ''), resolve(options.to));
    let result: RotationResult;
    try {
      // With --update-config the gateway seals to the new key first, so what it records from then on needs no rotation.
      if (options.updateConfig !== undefined) await updateConfig(configFile, edit);
      result = { rotated: 0, live: [] };
      // The hot store and the archive each rotate on their own, in their own batches.
      for (const store of storeTiers(ctx.store())) {
        const done = await rotateRecordings(s, store, old, { publicKey: next.publicKey, name: next.comment });
        result.rotated += done.rotated;
        result.live.push(...done.live);
      }
    } finally {
      wipeKeyPair(s, old);
    }
    const { rotated, live } = result;
    process.stdout.write(`rotated ${rotated} recording${rotated === 1 ? '' : 's'} from key ${old.kid} to key ${next.kid}\n`);
    if (options.updateConfig === undefined && named) {
      process.stdout.write(`${configFile} already names the new key (recipient ${printable(named.name)}); if the running gateway has not loaded it yet: recgate reload --config ${configFile}\n`);
    } else if (options.updateConfig === undefined && edit) {
      process.stdout.write(
        `left to do: new sessions are still sealed to key ${old.kid} until the gateway's config names the new key.\n` +
          describeEdit(edit, configFile) +
          `then run: recgate reload --config ${configFile}   (or send the gateway SIGHUP)\n` +
          `and run this rotation again for the recordings made before the reload (or pass --update-config ${configFile} to do all of it)\n`,
      );
    }
    if (live.length > 0) {
      process.stderr.write(`recgate: ${live.length} recording(s) still being written were left alone; run again once they end: ${printable(live.join(', '))}\n`);
      process.exitCode = 1;
    }
  });
}

/** Edits the recipients in `file` (comments kept), checks the result loads, replaces the file, and has a running gateway reload. */
async function updateConfig(file: string, edit: RecipientEdit | null): Promise<void> {
  if (edit) await editConfig(file, edit);
  else process.stdout.write(`${file} already names the new key\n`);
  await tellGateway(file);
}

async function editConfig(file: string, edit: RecipientEdit): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new GatewayError('RG_ERR_CONFIG', `cannot read ${file}: ${(err as Error).message}`);
  }
  const edited = applyRecipientEdit(text, edit, file);
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = (await stat(file)).mode & 0o777;
  await writeFile(temp, edited, { mode, flag: 'wx' });
  try {
    loadConfig(temp, process.env, { targetSecrets: 'defer' });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err instanceof GatewayError ? new GatewayError(err.code, `the edited config would not load, ${file} left unchanged: ${err.message.replace(temp, file)}`) : err;
  }
  const what = edit.replaces === null ? `added recipient ${edit.entry.name}` : `recipient ${edit.replaces} now uses ${edit.entry.publicKeyFile}`;
  process.stdout.write(`updated ${file}: ${printable(what)}\n`);
}

/** Has a running gateway reload `file`; says so when none runs. */
async function tellGateway(file: string): Promise<void> {
  const config = loadConfig(file, process.env, { targetSecrets: 'defer' });
  try {
    const response = await request(config, { op: 'reload' });
    process.stdout.write(`the running gateway reloaded its config: ${describeDiff(response.diff!).join('; ')}\n`);
  } catch (err) {
    if (err instanceof NotFoundError) {
      process.stdout.write('no gateway is running; the new key applies when it starts\n');
      return;
    }
    // The file is right; only telling the gateway failed (another account, say): the rotation goes on.
    process.stderr.write(`recgate: ${file} was updated but the gateway was not told to reload: ${printable((err as Error).message)}; run recgate reload as the gateway's user\n`);
    process.exitCode = 1;
  }
}
