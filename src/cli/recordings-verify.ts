/**
 * `recordings verify`: checks signatures, chunk digests, completeness and the
 * gateway's log without any private key, so a storage operator's tampering
 * is visible to anyone holding the gateway's signing public key.
 *
 * `--all` also finds recordings the log says exist and the store lacks, and
 * prints the log's head (`log: N entries, head SEQ:HASH`); `--head SEQ:HASH`
 * (a head noted earlier) makes a log cut at its tail an error.
 */
import { NotFoundError } from '../errors.js';
import type { Finding } from '../seal/verify.js';
import { formatLogHead, parseLogHead, type LogHead } from '../seal/verify-log.js';
import { usageError } from '../errors.js';
import { withContext, type CliContext, type GlobalOptions } from './context.js';
import { printable } from './printable.js';
import { Verification } from './verification.js';

export interface VerifyOptions extends GlobalOptions {
  all?: boolean;
  head?: string;
}

interface Tally {
  failed: Set<string>;
  logFailed: boolean;
}

export async function verifyRecordings(id: string | undefined, options: VerifyOptions): Promise<void> {
  if ((id === undefined) === !options.all) throw usageError('name one recording id, or --all');
  const head = options.head === undefined ? undefined : parseHead(options.head);
  const tally: Tally = { failed: new Set(), logFailed: false };
  await withContext(options, async (ctx) => {
    const verification = await Verification.open(ctx, head);
    if (id !== undefined) return verifyOne(ctx, verification, id, tally);
    printAll(verification.log.findings, tally);
    await verifyEvery(ctx, verification, tally);
    const { count } = verification.log;
    process.stdout.write(`log: ${count} entr${count === 1 ? 'y' : 'ies'}, head ${formatLogHead(verification.log.head)}\n`);
  });
  const failed = tally.failed.size;
  if (failed > 0 || tally.logFailed) {
    const recordings = failed > 0 ? `${failed} recording${failed === 1 ? '' : 's'}` : '';
    const what = tally.logFailed ? (failed > 0 ? `the log and ${recordings}` : 'the log') : recordings;
    process.stderr.write(`recgate: ${what} failed verification\n`);
    process.exitCode = 1;
  }
}

function parseHead(text: string): LogHead {
  const head = parseLogHead(text);
  if (!head) throw usageError(`--head ${JSON.stringify(text)} is not SEQ:HASH as verify --all prints it`);
  return head;
}

/** One recording: the log's own problems, then the recording's (or, when the store lacks it, what the log says of it). */
async function verifyOne(ctx: CliContext, verification: Verification, id: string, tally: Tally): Promise<void> {
  const summary = await ctx.store().get(id);
  if (summary === undefined && !verification.log.recordings.has(id)) {
    throw new NotFoundError(`no recording ${id} in ${ctx.storeName()}`);
  }
  printAll(verification.log.findings, tally);
  if (summary !== undefined) return report(id, await verification.recording(summary), tally);
  const findings = verification.absent([id]);
  printAll(findings, tally);
  const deleted = verification.log.recordings.get(id)?.filter((e) => e.kind === 'deleted').at(-1);
  if (findings.length === 0 && deleted) process.stdout.write(`recording ${printable(id)}: deleted by the gateway (log seq ${deleted.seq})\n`);
}

async function verifyEvery(ctx: CliContext, verification: Verification, tally: Tally): Promise<void> {
  const summaries = await ctx.store().list();
  for (const summary of summaries) report(summary.id, await verification.recording(summary), tally);
  if (summaries.length === 0) process.stdout.write('no recordings\n');
  const present = new Set(summaries.map((s) => s.id));
  printAll(verification.absent([...verification.log.recordings.keys()].filter((id) => !present.has(id))), tally);
}

function report(id: string, findings: Finding[], tally: Tally): void {
  printAll(findings, tally);
  if (findings.some((f) => f.severity === 'error')) return;
  const warnings = findings.length;
  process.stdout.write(`recording ${printable(id)}: ok${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}\n`);
}

function printAll(findings: Finding[], tally: Tally): void {
  for (const f of findings) {
    process.stdout.write(`${formatFinding(f)}\n`);
    if (f.severity !== 'error') continue;
    if (f.message.startsWith('log: ')) tally.logFailed = true;
    else tally.failed.add(f.recording);
  }
}

/** One line per finding; the message already names the recording, stream and chunk. */
export function formatFinding(f: Finding): string {
  return `${f.severity}: ${printable(f.message)}`;
}
