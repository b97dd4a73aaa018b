/**
 * Screens the client's bytes before the relay forwards them, so that a few
 * commands never reach the target:
 *
 *   COM_CHANGE_USER      would log in to the target as another account, past
 *                        the credentials the gateway injects;
 *   COM_BINLOG_DUMP(_GTID), COM_REGISTER_SLAVE, COM_TABLE_DUMP
 *                        replication streams, not a person's session (the
 *                        PostgreSQL proxy refuses replication connections
 *                        alike).
 *
 * A refused command is dropped whole (all its packets) and answered by the
 * gateway with an ERR packet numbered after the command's last packet, when
 * nothing is outstanding on the connection (the client waits for that
 * answer next). Behind an unanswered command the gateway's ERR could not be
 * put in its place, so the refusal ends the session instead.
 *
 * The screen follows packet headers only (MySQL Source Code Documentation,
 * "MySQL Packets"): a message starts with sequence id 0, a packet of
 * exactly 0xFFFFFF bytes continues in the next. A message's first packet
 * header and first payload byte are held back until they have all arrived,
 * so no part of a refused command is ever forwarded. LOCAL INFILE data and
 * authentication packets are not commands, whatever their first byte or
 * sequence id (a long file's sequence ids wrap through 0): the observer
 * says when the client is sending data.
 *
 * KILL (COM_QUERY text) and COM_PROCESS_KILL go to the KillJudge (kill.ts):
 * a COM_QUERY or COM_PROCESS_KILL message of one packet up to
 * KILL_SCREEN_LIMIT bytes is held until whole, then passed, replaced by the
 * judge's translation, or refused. A longer query passes unread (the
 * target's own privileges are the limit there; see the README).
 *
 * Invariants: pure (bytes in, bytes out); the bytes forwarded are the
 * input, in order, less the refused messages and with translated ones in
 * their place; holds at most 4 bytes, or one such message.
 */
import { Command, commandName } from './protocol/commands.js';
import { MAX_PACKET_PAYLOAD, writePacket } from './protocol/framer.js';
import { Capability } from './protocol/capabilities.js';
import { encodeErr } from './protocol/packets.js';
import type { ClientScreen, Refused, Screened } from '../wire/relay.js';
import type { KillJudge } from './kill.js';

/** The longest COM_QUERY read for a KILL: held whole until it has arrived. */
export const KILL_SCREEN_LIMIT = 1 << 20;

export const REFUSED_COMMANDS: ReadonlySet<number> = new Set([
  Command.COM_CHANGE_USER,
  Command.COM_BINLOG_DUMP,
  Command.COM_TABLE_DUMP,
  Command.COM_REGISTER_SLAVE,
  Command.COM_BINLOG_DUMP_GTID,
]);

/** ER_SPECIFIC_ACCESS_DENIED_ERROR: what the client shows for "not allowed here". */
const ACCESS_DENIED = { code: 1227, sqlState: '42000' };

export interface ScreenState {
  /** The client is sending LOCAL INFILE data or authentication packets, not commands. */
  readonly receivingData: boolean;
  /** No command is waiting for its answer. */
  readonly idle: boolean;
}

const EMPTY = Buffer.alloc(0);
const NOTHING_REFUSED: readonly Refused[] = [];

export class CommandScreen implements ClientScreen {
  /** Header bytes (and a first payload byte) held back until the message's fate is known. */
  private held: Buffer = EMPTY;
  /** Payload bytes of the current packet still to come. */
  private remaining = 0;
  /** The current packet is exactly 0xFFFFFF bytes: the message continues in the next. */
  private continues = false;
  /** The current message is being dropped: its command and last sequence id so far. */
  private dropping: { command: number; seq: number } | null = null;

  constructor(
    private readonly state: ScreenState,
    private readonly capabilities: number,
    private readonly kills?: KillJudge,
  ) {}

  screen(chunk: Buffer): Screened {
    if (this.passesWhole(chunk)) return { forward: chunk, refused: NOTHING_REFUSED };
    const data = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    this.held = EMPTY;
    const pieces: Buffer[] = [];
    let refused: Refused[] | null = null;
    /** Where the bytes being forwarded began; -1 while a refused message is dropped. */
    let from = this.dropping ? -1 : 0;
    let at = 0;
    const messageEnds = (): void => {
      if (!this.dropping) return;
      (refused ??= []).push(this.refuse(this.dropping));
      this.dropping = null;
      from = at;
    };
    while (at < data.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, data.length - at);
        at += n;
        this.remaining -= n;
        if (this.remaining === 0 && !this.continues) messageEnds();
        continue;
      }
      // A packet header; a message's first packet needs its first payload byte too.
      const starts = !this.continues;
      if (data.length - at < 4) break;
      const length = data.readUIntLE(at, 3);
      const seq = data[at + 3]!;
      if (starts && length > 0 && data.length - at < 5) break;
      if (starts) {
        const command = length > 0 && seq === 0 && !this.state.receivingData ? data[at + 4]! : -1;
        if (this.kills && (command === Command.COM_QUERY || command === Command.COM_PROCESS_KILL) && length <= KILL_SCREEN_LIMIT && length < MAX_PACKET_PAYLOAD) {
          // Held until whole, then judged.
          if (data.length - at < 4 + length) break;
          const end = at + 4 + length;
          const decision = this.kills.judge(command, data.subarray(at + 4, end));
          if (decision.kind !== 'pass') {
            if (from >= 0 && at > from) pieces.push(data.subarray(from, at));
            if (decision.kind === 'rewrite') pieces.push(writePacket(decision.payload, seq));
            else (refused ??= []).push(this.answer(decision.command, { code: decision.code, sqlState: decision.sqlState }, decision.message, seq));
            from = end;
          }
          at = end;
          continue;
        }
        if (REFUSED_COMMANDS.has(command)) {
          if (from >= 0 && at > from) pieces.push(data.subarray(from, at));
          from = -1;
          this.dropping = { command, seq };
        }
      } else if (this.dropping) {
        this.dropping.seq = seq;
      }
      at += 4;
      this.remaining = length;
      this.continues = length === MAX_PACKET_PAYLOAD;
      if (length === 0) messageEnds();
    }
    // A header (and first payload byte) not yet complete waits for the next chunk.
    if (at < data.length) this.held = Buffer.from(data.subarray(at));
    if (from >= 0 && at > from) {
      if (pieces.length === 0) return { forward: from === 0 && at === data.length ? data : data.subarray(from, at), refused: refused ?? NOTHING_REFUSED };
      pieces.push(data.subarray(from, at));
    }
    return { forward: pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces), refused: refused ?? NOTHING_REFUSED };
  }

  /**
   * The common chunk, passed as it is without the general walk below (and its per-chunk
   * closure and arrays): one whole packet, starting where nothing is held, continued or
   * dropped, that is neither a command the screen refuses nor one its KILL judge reads.
   */
  private passesWhole(chunk: Buffer): boolean {
    if (this.held.length !== 0 || this.remaining !== 0 || this.continues || this.dropping || chunk.length < 5) return false;
    const length = chunk[0]! | (chunk[1]! << 8) | (chunk[2]! << 16);
    if (length + 4 !== chunk.length || length >= MAX_PACKET_PAYLOAD) return false;
    if (chunk[3] !== 0 || this.state.receivingData) return true;
    const command = chunk[4]!;
    if (REFUSED_COMMANDS.has(command)) return false;
    return !(this.kills && (command === Command.COM_QUERY || command === Command.COM_PROCESS_KILL));
  }

  /** The gateway's answer to a refused command: an ERR numbered after its last packet, when the client waits for nothing else. */
  private refuse(dropped: { command: number; seq: number }): Refused {
    const name = commandName(dropped.command);
    const message =
      dropped.command === Command.COM_CHANGE_USER
        ? 'recgate: COM_CHANGE_USER is not allowed through the gateway; connect again as <gateway user>+<target> to use another login'
        : `recgate: ${name} (replication) is not allowed through the gateway`;
    return this.answer(name, ACCESS_DENIED, message, dropped.seq);
  }

  /** An ERR numbered after the refused message's last packet, when the client waits for nothing else. */
  private answer(command: string, error: { code: number; sqlState: string }, message: string, lastSeq: number): Refused {
    const answer = (): Buffer | null =>
      this.state.idle ? writePacket(encodeErr({ ...error, message }, this.capabilities | Capability.CLIENT_PROTOCOL_41), (lastSeq + 1) & 0xff) : null;
    return { command, message, answer };
  }
}
