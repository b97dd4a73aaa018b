/**
 * The gateway's side of its log (src/seal/log.ts): each turn in a
 * recording's life, signed with the gateway's key and appended to the store
 * under the store's lock. A failed append throws: for a recording it is a
 * recording failure (recording.required applies); recovery and retention
 * leave the recording as it was and try again later.
 */
import {
  archivedEvent,
  chainLogEntry,
  deletedEvent,
  endEvent,
  interruptedEvent,
  startEvent,
  verifyLogEntry,
  type LogEntry,
  type LogEvent,
} from '../seal/log.js';
import type { Checkpoint, Manifest } from '../seal/manifest.js';
import { verifyCheckpoint, type SigningKeyPair } from '../seal/signing.js';
import type { Sodium } from '../seal/sodium.js';
import type { RecordingJournal } from '../recording/recorder.js';
import type { InterruptedRecording, RecordingEnd, RecordingStore } from '../store/types.js';

export class GatewayLog implements RecordingJournal {
  constructor(
    private readonly sodium: Sodium,
    private readonly store: RecordingStore,
    private readonly signer: SigningKeyPair,
  ) {}

  async started(manifest: Manifest): Promise<void> {
    await this.append(startEvent(this.sodium, manifest));
  }

  async ended(id: string, final: Checkpoint, end: RecordingEnd): Promise<void> {
    await this.append(endEvent(this.sodium, id, final, end));
  }

  /**
   * A recording recovery found without its writer: ended, when its last
   * checkpoint is a final one this gateway signed (the writer died between
   * signing the end and saying so), else interrupted.
   */
  async recovered(found: InterruptedRecording): Promise<void> {
    const last = found.checkpoints.at(-1);
    if (last?.final && verifyCheckpoint(this.sodium, this.signer.publicKey, last)) {
      await this.append(endEvent(this.sodium, found.id, last, last.final));
    } else {
      await this.append(interruptedEvent(this.sodium, found.id, found.endedAt, found.checkpoints, found.chunks));
    }
  }

  async deleted(id: string, reason: string): Promise<void> {
    await this.append(deletedEvent(id, reason));
  }

  /** Entered before a recording is removed from the hot store, once its copy in the archive checked whole. */
  async archived(id: string, reason: string, archive: string): Promise<void> {
    await this.append(archivedEvent(id, reason, archive));
  }

  /**
   * When each recording ended, as this gateway signed it in the log (end or
   * interrupted entries with a good signature by its own key), and which
   * recordings' deletion it already records. Retention goes by these, not by
   * the index, which whoever writes the store can edit; a deletion cut short
   * is finished without a second entry.
   */
  async retentionFacts(): Promise<{ ends: Map<string, string>; deleted: Set<string> }> {
    const ends = new Map<string, string>();
    const deleted = new Set<string>();
    for await (const e of this.store.readLog()) {
      if ((e.kind === 'end' || e.kind === 'interrupted') && verifyLogEntry(this.sodium, this.signer.publicKey, e)) {
        ends.set(e.recording, e.endedAt);
      } else if (e.kind === 'deleted' && verifyLogEntry(this.sodium, this.signer.publicKey, e)) {
        deleted.add(e.recording);
      }
    }
    return { ends, deleted };
  }

  private async append(event: LogEvent): Promise<LogEntry> {
    return this.store.appendLog((last) => chainLogEntry(this.sodium, this.signer, last, event));
  }
}
