/**
 * Recorder: what a session feeds. One per recording; protocol-agnostic.
 *
 *   output / input / resize / event / screen
 *        │ frames, time = ms since the session started
 *        ▼
 *   StreamBuffer per stream ── flushed when full or at flushInterval (sooner while watched live);
 *        │ full at chunkSize, growing to 4 × chunkSize while the stream stays busy
 *        │ RecordSealer.sealChunk (the only holder of the record key)
 *        ▼
 *   WriteQueue (in order; a stream's queued chunks go out together) ── RecordingStore
 *
 * Every `checkpointInterval` a signed checkpoint follows the chunks it covers
 * through the same queue, at a time on a grid shared with the process's other
 * recordings (checkpoint-clock.ts). The write methods return false while more than
 * `highWaterMark` bytes wait for the store; 'drain' says when to resume.
 * A store failure emits 'error' (a RecordingError) once: the session decides
 * whether to end (recording.required) or go on. 'ended' follows `end()`.
 * A journal, when given, is told once the store holds the recording and once
 * it holds the final checkpoint; its failures are store failures.
 * 'stored' (StoredCount) says a stream's chunks are in the store, readable by
 * a live viewer; `stored()` gives every stream's count so far.
 */
import { EventEmitter } from 'node:events';
import { RecordingError } from '../errors.js';
import type { RecordingMeta, StreamInfo, StreamKind } from '../seal/manifest.js';
import { RecordSealer } from '../seal/sealer.js';
import { newRecordingId } from '../store/ids.js';
import { renderTableFrame } from '../transcript/table-frame.js';
import { checkpointClock } from './checkpoint-clock.js';
import { FrameKind, MAX_FRAME_PAYLOAD, resizePayload, type RecordedEvent } from './frames.js';
import { StreamBuffer } from './stream-buffer.js';
import { WriteQueue } from './write-queue.js';
import { DEFAULT_RECORDER_OPTIONS, WATCHED_FLUSH_MS, type RecorderDeps, type RecorderOptions, type RecordingResult, type SessionIdentity, type StoredCount, type TerminalInfo } from './recorder-types.js';

export { DEFAULT_RECORDER_OPTIONS, WATCHED_FLUSH_MS, type RecorderDeps, type RecorderOptions, type RecordingJournal, type RecordingResult, type SessionIdentity, type StoredCount, type TerminalInfo } from './recorder-types.js';

interface OpenStream {
  info: StreamInfo;
  buffer: StreamBuffer;
  nextIndex: number;
  /** Time of the stream's last frame: frames of one stream are in time order. */
  lastT: number;
}

export class Recorder extends EventEmitter {
  readonly id: string;
  private readonly streams = new Map<string, OpenStream>();
  /** The events stream and channel 0's tty, held apart from the map: a database session writes both per statement. */
  private eventsStream: OpenStream | undefined;
  private tty0: OpenStream | undefined;
  private readonly t0: number;
  private lastT = 0;
  private readonly queue: WriteQueue;
  private failure: RecordingError | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  /** Stops the checkpoints (checkpoint-clock.ts: recordings due together checkpoint together). */
  private readonly stopCheckpoints: () => void;
  private chunksSinceCheckpoint = 0;
  private ending: Promise<RecordingResult> | undefined;
  /** Set once the store holds the recording: later streams are added to it as they open. */
  private created = false;
  /** Chunks the store holds per stream id. */
  private readonly storedChunks = new Map<number, number>();
  /** performance.now() until which a live viewer watches: frames are stored sooner meanwhile. */
  private watchedUntil = 0;

  private constructor(
    private readonly deps: RecorderDeps,
    private readonly sealer: RecordSealer,
    private readonly options: RecorderOptions,
    t0: number,
  ) {
    super();
    this.id = sealer.manifest.id;
    this.t0 = t0;
    this.queue = new WriteQueue(deps.store, this.id, options.highWaterMark ?? 8 * options.chunkSize);
    this.queue.on('drain', () => this.emit('drain'));
    this.queue.on('failed', (cause: unknown) => this.fail(cause));
    this.queue.on('stored', (streamId: number, chunks: number) => {
      this.storedChunks.set(streamId, chunks);
      const stream = [...this.streams.values()].find((s) => s.info.id === streamId);
      if (stream) this.emit('stored', { stream: { ...stream.info }, chunks } satisfies StoredCount);
    });
    this.stopCheckpoints = checkpointClock(options.checkpointInterval).every(options.checkpointInterval, () => this.checkpoint());
  }

  /**
   * Creates the recording in the store; fails (RecordingError) if it cannot be written.
   * `terminal`, when given, is channel 0's terminal declared with the recording (a database
   * session's transcript): its stream is in the first manifest the store writes, where one
   * declared later is added by another write of it (a synced replace).
   */
  static async start(deps: RecorderDeps, who: SessionIdentity, options: RecorderOptions = DEFAULT_RECORDER_OPTIONS, terminal?: TerminalInfo): Promise<Recorder> {
    const t0 = performance.now();
    const id = newRecordingId();
    const meta: RecordingMeta = { id, ...who, startedAt: new Date().toISOString() };
    const sealer = RecordSealer.create(deps.sodium, { meta, recipients: deps.recipients, signer: deps.signer });
    const recorder = new Recorder(deps, sealer, options, t0);
    recorder.openStream('events', 'events', 0);
    if (terminal) recorder.terminal(0, terminal);
    try {
      await deps.store.create(sealer.manifest);
      recorder.created = true;
    } catch (cause) {
      recorder.shutdown();
      throw new RecordingError(`cannot create recording ${id}: ${(cause as Error).message}`, { cause });
    }
    try {
      await deps.journal?.started(sealer.manifest);
    } catch (cause) {
      // Closed cleanly in the store, so it is not left open until the next start.
      await recorder.end('recording-failed').catch(() => undefined);
      throw new RecordingError(`cannot log the start of recording ${id}: ${(cause as Error).message}`, { cause });
    }
    return recorder;
  }

  /** True while writes are accepted without backpressure. */
  get writable(): boolean {
    return this.queue.writable;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Milliseconds since the session started at `at` (a performance.now() reading, by default now), never decreasing. */
  now(at = performance.now()): number {
    const t = Math.round(at - this.t0);
    if (t > this.lastT) this.lastT = t;
    return this.lastT;
  }

  /** Every stream with the number of its chunks the store holds so far. */
  stored(): StoredCount[] {
    return [...this.streams.values()].map((s) => ({ stream: { ...s.info }, chunks: this.storedChunks.get(s.info.id) ?? 0 }));
  }

  /**
   * Someone watches the session live for the next `ms`: until then a frame
   * waits at most WATCHED_FLUSH_MS (not flushInterval) before it is stored.
   * Only watched sessions pay for the smaller chunks this makes.
   */
  watchFor(ms: number): void {
    this.watchedUntil = Math.max(this.watchedUntil, performance.now() + ms);
  }

  /**
   * Declares terminal channel `channel`: its tty stream. Its input stream (with keystrokes) is
   * opened by the first keystroke: a channel nobody types on (a database session's transcript,
   * an exec's output) has none, and the store no file for it.
   */
  terminal(channel: number, info: TerminalInfo): void {
    if (this.streams.has(ttyName(channel))) return;
    this.openStream(ttyName(channel), 'tty', channel);
    const t = this.now();
    this.append(ttyName(channel), FrameKind.Resize, t, resizePayload(info.cols, info.rows));
    this.event({ type: 'terminal', channel, term: info.term ?? null, cols: info.cols, rows: info.rows });
  }

  /** Output of terminal channel `channel`; `t` as for input(), when it is recorded after it was relayed. */
  output(data: Uint8Array, channel = 0, t?: number): boolean {
    this.ensureTerminal(channel);
    this.appendData(ttyName(channel), data, FrameKind.Data, t);
    return this.writable;
  }

  /**
   * `output(Buffer.from(text))`, frames and all, without the intermediate
   * buffer when the text fits the chunk under way: it is encoded in place.
   * `at` is when it was output (a performance.now() reading), by default now.
   */
  outputText(text: string, channel = 0, at?: number): boolean {
    const s = this.ttyStream(channel);
    if (text.length === 0 || this.ending) return this.writable;
    const t = this.now(at);
    if (s.buffer.appendTextIfRoom(FrameKind.Data, t, text) < 0) {
      const bytes = Buffer.byteLength(text);
      if (bytes > s.buffer.free()) return this.output(Buffer.from(text, 'utf8'), channel);
      s.buffer.appendText(FrameKind.Data, t, text, bytes);
    }
    this.appended(s, t);
    return this.writable;
  }

  /**
   * A result table as its values (a table frame, src/transcript/table-frame.ts), laid out when
   * the recording is read; one that would not fit in a chunk is laid out now and recorded as its
   * text. `at` as for outputText.
   */
  outputTable(payload: Uint8Array, channel = 0, at?: number): boolean {
    if (payload.length > this.options.chunkSize / 2) return this.outputText(renderTableFrame(payload), channel, at);
    const s = this.ttyStream(channel);
    if (this.ending) return this.writable;
    const t = this.now(at);
    if (s.buffer.free() < payload.length) this.sealAndStore(s, false);
    this.appendFrame(s, FrameKind.Table, t, payload);
    return this.writable;
  }

  /**
   * Keystrokes. `t` is when they were typed (a `now()` taken earlier) when they
   * are recorded later; it is kept between the stream's last frame time and now.
   */
  input(data: Uint8Array, channel = 0, t?: number): boolean {
    this.ensureTerminal(channel);
    if (!this.options.keystrokes || this.ending || data.length === 0) return this.writable;
    const name = inputName(channel);
    if (!this.streams.has(name)) this.openStream(name, 'input', channel);
    this.appendData(name, data, FrameKind.Data, t);
    return this.writable;
  }

  resize(cols: number, rows: number, channel = 0): boolean {
    this.ensureTerminal(channel);
    const t = this.now();
    this.append(ttyName(channel), FrameKind.Resize, t, resizePayload(cols, rows));
    this.event({ type: 'resize', channel, cols, rows });
    return this.writable;
  }

  /** An event at `at` (a performance.now() reading), by default now. */
  event(event: RecordedEvent, at?: number): boolean {
    return this.eventJson(event.type, JSON.stringify(event), at);
  }

  /** An event of `type` given as its JSON text (what JSON.stringify of it gives); `at` as for event(). */
  eventJson(type: string, json: string, at?: number): boolean {
    return this.eventJsonAt(type, json, this.now(at));
  }

  /**
   * An event at `t`, a time from now() taken when what it records happened (recorded later):
   * kept between the events stream's last frame and now, as input()'s `t` is.
   */
  eventAt(event: RecordedEvent, t: number): boolean {
    return this.eventJsonAt(event.type, JSON.stringify(event), this.lateTime(this.eventsStream!, t));
  }

  /** `at`, a time taken earlier, kept between `s`'s last frame and now (now when absent or not finite). */
  private lateTime(s: OpenStream, at: number | undefined): number {
    const now = this.now();
    return at === undefined || !Number.isFinite(at) ? now : Math.min(now, Math.max(s.lastT, Math.round(at)));
  }

  private eventJsonAt(type: string, json: string, t: number): boolean {
    // The JSON goes straight into the stream's buffer as UTF-8, unmeasured when it surely fits.
    const s = this.eventsStream!;
    if (!this.ending) {
      if (s.buffer.appendTextIfRoom(FrameKind.Event, t, json, MAX_FRAME_PAYLOAD) >= 0) {
        this.appended(s, t);
        return this.writable;
      }
    }
    let bytes = Buffer.byteLength(json);
    // Events are meant to be small; an oversized one is kept as a marker, never as a giant chunk.
    if (bytes > MAX_FRAME_PAYLOAD) {
      json = JSON.stringify({ type, truncated: true, bytes });
      bytes = Buffer.byteLength(json);
    }
    if (s.buffer.free() < bytes) this.sealAndStore(s, false);
    if (this.ending) return this.writable;
    s.buffer.appendText(FrameKind.Event, t, json, bytes);
    this.appended(s, t);
    return this.writable;
  }

  screen(update: Uint8Array): boolean {
    if (!this.streams.has('screen')) this.openStream('screen', 'screen', 0);
    this.appendData('screen', update, FrameKind.Screen);
    return this.writable;
  }

  /**
   * Ends the recording: an `end` event, the last chunk of every stream, the
   * final signed checkpoint, and the record key wiped. Idempotent.
   */
  end(reason: string, detail?: Record<string, unknown>): Promise<RecordingResult> {
    this.ending ??= this.finish(reason, detail);
    return this.ending;
  }

  private async finish(reason: string, detail?: Record<string, unknown>): Promise<RecordingResult> {
    this.event({ type: 'end', reason, ...detail });
    this.stopCheckpoints();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const s of this.streams.values()) this.sealAndStore(s, true);
    const endedAt = new Date(Date.parse(this.sealer.manifest.meta.startedAt) + this.now()).toISOString();
    const cp = this.sealer.checkpoint({ endedAt, status: 'complete', endReason: reason });
    this.queue.call(async () => {
      await this.deps.store.finalize(this.id, cp, { endedAt, endReason: reason });
      await this.deps.journal?.ended(this.id, cp, { endedAt, endReason: reason });
    });
    await this.queue.idle();
    this.shutdown();
    const result: RecordingResult = { id: this.id, ok: this.failure === undefined };
    if (this.failure) result.error = this.failure;
    this.emit('ended', result);
    return result;
  }

  private shutdown(): void {
    this.stopCheckpoints();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.sealer.close();
  }

  private ensureTerminal(channel: number): void {
    this.ttyStream(channel);
  }

  /** Channel `channel`'s tty stream, declared (80×24) if it was not. */
  private ttyStream(channel: number): OpenStream {
    const s = channel === 0 ? this.tty0 : this.streams.get(ttyName(channel));
    if (s !== undefined) return s;
    this.terminal(channel, { cols: 80, rows: 24 });
    return this.stream(ttyName(channel));
  }

  private openStream(name: string, kind: StreamKind, channel: number): void {
    const info = this.sealer.addStream(name, kind, channel);
    const stream: OpenStream = { info, buffer: new StreamBuffer(this.options.chunkSize), nextIndex: 0, lastT: 0 };
    this.streams.set(name, stream);
    if (name === 'events') this.eventsStream = stream;
    else if (name === ttyName(0)) this.tty0 = stream;
    if (this.created) this.queue.call(() => this.deps.store.addStream(this.id, info));
  }

  private appendData(name: string, data: Uint8Array, kind = FrameKind.Data, at?: number): void {
    const s = this.stream(name);
    const t = this.lateTime(s, at);
    // Large writes are split so that no chunk passes its size.
    for (let offset = 0; offset < data.length; ) {
      if (s.buffer.free() <= 0) this.sealAndStore(s, false);
      const piece = Math.min(data.length - offset, s.buffer.free());
      this.appendFrame(s, kind, t, piece === data.length ? data : data.subarray(offset, offset + piece));
      offset += piece;
    }
  }

  private append(name: string, kind: FrameKind, t: number, payload: Uint8Array): void {
    const s = this.stream(name);
    if (s.buffer.free() < payload.length) this.sealAndStore(s, false);
    this.appendFrame(s, kind, t, payload);
  }

  private appendFrame(s: OpenStream, kind: FrameKind, t: number, payload: Uint8Array): void {
    if (this.ending) return;
    s.buffer.append(kind, t, payload);
    this.appended(s, t);
  }

  /** A frame at `t` went into the stream's buffer: seal a full chunk, or make sure a flush is due. */
  private appended(s: OpenStream, t: number): void {
    s.lastT = t;
    if (s.buffer.free() <= 0) this.sealAndStore(s, false);
    else this.flushTimer ??= setTimeout(() => this.flush(), this.flushDelay());
  }

  private flushDelay(): number {
    return performance.now() < this.watchedUntil ? Math.min(WATCHED_FLUSH_MS, this.options.flushInterval) : this.options.flushInterval;
  }

  private stream(name: string): OpenStream {
    const s = this.streams.get(name);
    if (!s) throw new RecordingError(`recording ${this.id} has no stream ${name}`);
    return s;
  }

  /** Seals and stores every stream's frames; a flush due later is no longer needed (a checkpoint's flush comes early). */
  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const s of this.streams.values()) if (s.buffer.size > 0) this.sealAndStore(s, false, false);
  }

  /** Seals the stream's pending frames as its next chunk; `filled` as for StreamBuffer.take. */
  private sealAndStore(s: OpenStream, last: boolean, filled = true): void {
    if (s.buffer.size === 0 && !last) return;
    const plaintext = s.buffer.take(filled);
    this.deps.onSealed?.(s.info.kind, plaintext.length);
    const ciphertext = this.sealer.sealChunk(s.info.id, plaintext, last);
    const index = s.nextIndex++;
    this.chunksSinceCheckpoint++;
    this.queue.append(s.info.id, index, ciphertext);
  }

  private checkpoint(): void {
    this.flush();
    if (this.chunksSinceCheckpoint === 0 || this.ending) return;
    this.chunksSinceCheckpoint = 0;
    const cp = this.sealer.checkpoint();
    this.queue.call(() => this.deps.store.checkpoint(this.id, cp));
  }

  private fail(cause: unknown): void {
    if (this.failure) return;
    this.failure = new RecordingError(`recording ${this.id} cannot be written: ${(cause as Error).message}`, { cause });
    this.deps.log.error({ err: this.failure, recording: this.id }, 'recording write failed');
    if (this.listenerCount('error') > 0) this.emit('error', this.failure);
  }
}

function ttyName(channel: number): string {
  return channel === 0 ? 'tty' : `tty-${channel}`;
}

function inputName(channel: number): string {
  return channel === 0 ? 'input' : `input-${channel}`;
}
