/**
 * Plays a graphical (RDP) recording on a <canvas>: the screen stream is
 * decrypted here and replayed through the same decoder the CLI's video export
 * uses (src/graphics: ScreenParser, ScreenPlayer, ScreenTimeline), bundled
 * into the page. Play/pause, speed 0.5×–16×, a timeline with the activity
 * map (per-second screen change, clicks, keys) where a click seeks, and the
 * event list with jump-to. A seek decodes from the nearest keyframe at or
 * before the wanted time, not from the beginning.
 */
import { ScreenTimeline, type ScreenPlayer, type TimedRecord } from '../src/graphics/player.js';
import { drawPointerImage } from '../src/graphics/pointer.js';
import { ScreenParser } from '../src/graphics/records.js';
import { FrameKind } from '../src/recording/frames.js';
import type { AuditorKeyPair } from '../src/seal/keys.js';
import type { Sodium } from '../src/seal/sodium.js';
import type { RecordingView } from './api.js';
import { eventLabel } from './player.js';
import { openRecording } from './recording-source.js';
import { msOf } from './seconds.js';
import { clock, firstAfter, playLength, timeAt, timelineMarks, xAt, type TimedEvent, type TimelineMarks } from './timeline.js';

const TICK_MS = 40;
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export interface LoadedScreen {
  records: TimedRecord[];
  events: TimedEvent[];
  lengthMs: number;
  /** Screen records that could not be read (skipped; the rest plays), and the first reason. */
  skipped: number;
  firstError?: string;
}

/** The screen records and events of `view`, decrypted here. */
export async function loadScreen(s: Sodium, key: AuditorKeyPair, view: RecordingView): Promise<LoadedScreen> {
  const reader = await openRecording(s, key, view);
  try {
    const records: TimedRecord[] = [];
    const parser = new ScreenParser();
    for await (const f of reader.frames('screen')) {
      if (f.kind === FrameKind.Screen) for (const record of parser.push(f.data)) records.push({ t: f.t, record });
    }
    const events: TimedEvent[] = [];
    for await (const f of reader.frames('events')) if (f.kind === FrameKind.Event) events.push({ t: f.t, event: f.event });
    const out: LoadedScreen = { records, events, lengthMs: playLength(records, events, view.summary.durationMs), skipped: parser.skipped };
    if (parser.firstError !== undefined) out.firstError = parser.firstError;
    return out;
  } finally {
    reader.close();
  }
}

export class CanvasPlayer {
  private readonly timeline: ScreenTimeline;
  private readonly marks: TimelineMarks;
  private screen: ScreenPlayer;
  private next = 0;
  private position = 0;
  private playing = false;
  /** Called whenever playing starts or stops (the end of the recording included), so a control can say which. */
  onPlayingChange: () => void = () => {};
  private speed = 1;
  private wallStart = 0;
  private posStart = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private dirty = true;
  private readonly listeners: [EventTarget, string, EventListener][] = [];

  constructor(
    private readonly loaded: LoadedScreen,
    private readonly canvas: HTMLCanvasElement,
    private readonly bar: HTMLCanvasElement,
  ) {
    this.timeline = new ScreenTimeline(loaded.records);
    this.marks = timelineMarks(loaded.events);
    this.screen = this.timeline.seek(-1);
    bar.dataset.lengthMs = String(loaded.lengthMs);
    this.on(bar, 'click', (ev) => {
      const r = bar.getBoundingClientRect();
      this.seek(timeAt((ev as MouseEvent).clientX - r.left, r.width, loaded.lengthMs));
    });
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  get time(): number {
    return this.position;
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  play(): void {
    if (this.position >= this.loaded.lengthMs) this.seek(0);
    this.playing = true;
    this.wallStart = performance.now();
    this.posStart = this.position;
    this.onPlayingChange();
  }

  pause(): void {
    this.tick();
    this.playing = false;
    this.onPlayingChange();
  }

  setSpeed(speed: number): void {
    this.tick();
    this.speed = speed;
    this.wallStart = performance.now();
    this.posStart = this.position;
  }

  /** Shows the screen as of `t` ms: decoded from the keyframe at or before it. Returns that keyframe's time, or null (from the start). */
  seek(t: number): number | null {
    const to = Math.min(Math.max(0, t), this.loaded.lengthMs);
    this.screen = this.timeline.seek(to);
    this.next = firstAfter(this.loaded.records, to);
    this.position = to;
    this.wallStart = performance.now();
    this.posStart = to;
    this.dirty = true;
    let from: number | null = null;
    for (const k of this.timeline.keyframes) {
      const kt = this.loaded.records[k]!.t;
      if (kt > to) break;
      from = kt;
    }
    this.canvas.dataset.seekFrom = from === null ? 'start' : String(from);
    this.render();
    return from;
  }

  dispose(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const [target, type, fn] of this.listeners) target.removeEventListener(type, fn);
  }

  private on(target: EventTarget, type: string, fn: EventListener): void {
    target.addEventListener(type, fn);
    this.listeners.push([target, type, fn]);
  }

  private tick(): void {
    if (!this.playing) return;
    const to = Math.min(this.posStart + (performance.now() - this.wallStart) * this.speed, this.loaded.lengthMs);
    const records = this.loaded.records;
    while (this.next < records.length && records[this.next]!.t <= to) {
      this.screen.apply(records[this.next]!.record);
      this.next++;
      this.dirty = true;
    }
    this.position = to;
    this.render();
    if (to >= this.loaded.lengthMs) {
      this.playing = false;
      this.onPlayingChange();
    }
  }

  private render(): void {
    if (this.dirty) this.paint();
    this.dirty = false;
    this.canvas.dataset.positionMs = String(Math.round(this.position));
    this.drawBar();
  }

  private paint(): void {
    const fb = this.screen.fb;
    if (this.canvas.width !== fb.width || this.canvas.height !== fb.height) {
      this.canvas.width = fb.width;
      this.canvas.height = fb.height;
    }
    const pixels = new Uint8ClampedArray(fb.pixels);
    const p = this.screen.pointer;
    if (p.visible && this.screen.pointerImage) drawPointerImage(pixels as unknown as Uint8Array, fb.width, fb.height, this.screen.pointerImage, p.x, p.y);
    this.canvas.getContext('2d')!.putImageData(new ImageData(pixels, fb.width, fb.height), 0, 0);
    fb.takeDamage();
  }

  private drawBar(): void {
    const g = this.bar.getContext('2d')!;
    const { width: w, height: h } = this.bar;
    const len = this.loaded.lengthMs;
    g.clearRect(0, 0, w, h);
    g.fillStyle = '#e6e9ef';
    g.fillRect(0, 0, w, h);
    g.fillStyle = '#6b8cc7';
    const secondW = Math.max(1, xAt(1000, w, len));
    for (const [second, change] of this.marks.activity) {
      const bh = Math.max(2, Math.min(1, change) * (h - 12));
      g.fillRect(xAt(second * 1000, w, len), h - 6 - bh, secondW, bh);
    }
    g.fillStyle = '#d9822b';
    for (const t of this.marks.clicks) g.fillRect(xAt(t, w, len), 0, 2, 6);
    g.fillStyle = '#2f9e44';
    for (const t of this.marks.keys) g.fillRect(xAt(t, w, len), h - 6, 2, 6);
    g.fillStyle = '#c92a2a';
    g.fillRect(xAt(this.position, w, len) - 1, 0, 2, h);
  }
}

/** The event list of a graphical recording: each entry jumps the player to its moment. */
export function eventList(into: HTMLElement, events: readonly TimedEvent[], jump: (t: number) => void): void {
  into.replaceChildren(
    ...events
      .filter((e) => e.event.type !== 'activity')
      .map((e) => {
        const li = document.createElement('li');
        const b = document.createElement('button');
        b.textContent = `${clock(e.t)} ${eventLabel(e.event)}${typeof e.event.text === 'string' ? ` ${e.event.text}` : ''}`;
        b.dataset.t = String(e.t);
        b.addEventListener('click', () => jump(e.t));
        li.append(b);
        return li;
      }),
  );
}

let current: CanvasPlayer | undefined;

/** Shows `view` in the graphical view, from `startAt` seconds, playing. */
export async function showGraphics(s: Sodium, key: AuditorKeyPair, view: RecordingView, startAt: number): Promise<LoadedScreen> {
  closeGraphics();
  const loaded = await loadScreen(s, key, view);
  const player = new CanvasPlayer(loaded, $<HTMLCanvasElement>('gfx-screen'), $<HTMLCanvasElement>('gfx-timeline'));
  current = player;
  const playButton = $<HTMLButtonElement>('gfx-play');
  const label = (): void => {
    playButton.textContent = player.isPlaying ? 'Pause' : 'Play';
  };
  player.onPlayingChange = label;
  playButton.onclick = () => {
    if (player.isPlaying) player.pause();
    else player.play();
  };
  const speed = $<HTMLSelectElement>('gfx-speed');
  player.setSpeed(Number(speed.value));
  speed.onchange = () => player.setSpeed(Number(speed.value));
  eventList($('gfx-events'), loaded.events, (t) => player.seek(t));
  const time = $('gfx-time');
  const show = setInterval(() => {
    if (current !== player) return clearInterval(show);
    const from = $('gfx-screen').dataset.seekFrom;
    time.textContent = `${clock(player.time)} / ${clock(loaded.lengthMs)}${from === undefined || from === 'start' ? '' : ` (decoded from the keyframe at ${clock(Number(from))})`}`;
    label();
  }, 200);
  player.seek(msOf(startAt));
  player.play();
  label();
  return loaded;
}

export function closeGraphics(): void {
  current?.dispose();
  current = undefined;
}
