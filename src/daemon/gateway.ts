/**
 * Gateway: what proxies get from the core. It starts recordings sealed to the
 * configured recipients and keeps track of the live ones so that shutdown
 * ends each cleanly.
 */
import type { Config } from '../config/index.js';
import { RecordingError } from '../errors.js';
import type { Logger } from '../log.js';
import { Recorder, type SessionIdentity } from '../recording/recorder.js';
import type { Sodium } from '../seal/sodium.js';
import type { RecordingStore } from '../store/types.js';
import type { GatewayContext } from './proxy.js';

export class Gateway implements GatewayContext {
  private readonly live = new Set<Recorder>();

  constructor(
    readonly config: Config,
    readonly log: Logger,
    private readonly sodium: Sodium,
    readonly store: RecordingStore,
    private readonly signer: { publicKey: Uint8Array; secretKey: Uint8Array },
  ) {}

  get activeRecordings(): number {
    return this.live.size;
  }

  async startRecording(who: SessionIdentity, target: { keystrokes?: boolean; recipients?: string[] } = {}): Promise<Recorder> {
    const names = target.recipients;
    const recipients = this.config.recipients.filter((r) => names === undefined || names.includes(r.name));
    if (recipients.length === 0) throw new RecordingError('no recipients to seal the recording for');
    const r = this.config.recording;
    const recorder = await Recorder.start(
      { store: this.store, sodium: this.sodium, signer: this.signer, recipients, log: this.log },
      who,
      {
        flushInterval: r.flushInterval,
        chunkSize: r.chunkSize,
        checkpointInterval: r.checkpointInterval,
        keystrokes: target.keystrokes ?? r.keystrokes,
      },
    );
    this.live.add(recorder);
    recorder.once('ended', () => this.live.delete(recorder));
    return recorder;
  }

  /** Ends every live recording (gateway shutdown). */
  async endAll(reason: string): Promise<void> {
    await Promise.allSettled([...this.live].map((r) => r.end(reason)));
    this.live.clear();
  }
}
