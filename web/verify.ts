/**
 * Tamper evidence in the page: a recording's signed checkpoint chain, its
 * chunks' digests and count, and its index row, checked here as
 * `recordings verify` checks them (src/seal/verify.ts), against the gateway
 * signing keys the console's config trusts (GET /api/signers).
 *
 * Trust assumption: those keys come from the console's config (`signers:`,
 * never read from inside the data directory), so whoever can write only the
 * store cannot make an altered recording verify; whoever runs the console or
 * edits its config could. The keys are shown so an auditor can compare them
 * with the line `recgate start` logs. The gateway's log (recordings deleted
 * whole) is checked by `recordings verify`, not here.
 *
 * Verdicts: verified; tampered: <first error>; cut short (no final signed
 * checkpoint: a gateway stopped mid-session, or the end was cut off); or
 * not verified when no key is trusted.
 */
import { indexMismatches } from '../src/cli/verification.js';
import { fromBase64 } from '../src/seal/encoding.js';
import type { SignersAnswer } from '../src/console/routes-signers.js';
import type { Sodium } from '../src/seal/sodium.js';
import { verifyRecording } from '../src/seal/verify.js';
import * as api from './api.js';

export type Verdict =
  | { state: 'verified'; text: string }
  | { state: 'tampered'; text: string }
  | { state: 'cut-short'; text: string }
  | { state: 'unverified'; text: string };

export async function verifyInPage(s: Sodium, view: api.RecordingView, trusted: SignersAnswer): Promise<Verdict> {
  const { id } = view.summary;
  const keys = trusted.signers.flatMap((k) => {
    const key = fromBase64(k.publicKey);
    return key ? [key] : [];
  });
  if (keys.length === 0) return { state: 'unverified', text: `not verified: ${trusted.problem ?? 'the console trusts no gateway signing key'}` };
  const findings = await verifyRecording(s, {
    id,
    manifest: view.manifest,
    checkpoints: view.checkpoints,
    status: view.summary.status,
    endedAt: view.summary.endedAt,
    endReason: view.summary.endReason,
    trustedSigners: keys,
    readChunks: (stream) => api.streamChunks(id, stream),
  });
  if (view.manifest.id === id) findings.push(...indexMismatches(view.summary, view.manifest.meta));
  const reason = (message: string): string => message.replace(`recording ${id}: `, '');
  const error = findings.find((f) => f.severity === 'error');
  if (error) return { state: 'tampered', text: `tampered: ${reason(error.message)}` };
  const signer = trusted.signers.find((k) => k.publicKey === view.manifest.signer)?.name ?? 'a trusted gateway';
  if (view.summary.status !== 'complete') {
    const last = view.checkpoints.at(-1)?.at;
    const upTo = last ? `signed up to ${new Date(last).toLocaleString()} by ${signer}` : 'nothing signed';
    const more = findings.length > 0 ? `; ${findings.map((f) => reason(f.message)).join('; ')}` : '';
    return { state: 'cut-short', text: `cut short: no final signed checkpoint (${view.summary.status}), ${upTo}${more}` };
  }
  return { state: 'verified', text: `verified: signed by ${signer}, every chunk as signed` };
}

/** Verifies and shows the verdict in `into`; the keys believed are in its title. */
export async function showVerdict(s: Sodium, view: api.RecordingView, into: HTMLElement, still: () => boolean): Promise<void> {
  into.dataset.state = 'checking';
  into.textContent = 'checking signatures...';
  let verdict: Verdict;
  try {
    const trusted = await api.signers();
    into.title = `Checked against the gateway keys this console's config trusts:\n${trusted.signers.map((k) => `${k.name}: ${k.line}`).join('\n')}`;
    verdict = await verifyInPage(s, view, trusted);
  } catch (error) {
    verdict = { state: 'unverified', text: `not verified: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!still()) return;
  into.dataset.state = verdict.state;
  into.textContent = verdict.text;
}
