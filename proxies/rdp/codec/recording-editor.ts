/**
 * The edits a recording relay makes on the way through, PDU by PDU:
 * the client's conference request loses the graphics pipeline flag, its
 * Client Info loses bulk compression, and both Demand Active and Confirm
 * Active are restricted to what a simple decoder renders (restrict.ts).
 * Every PDU is decoded, to follow the connection's state; only the edited
 * ones are encoded again.
 */
import { decodeEnvelope, encodeEnvelope, ConnectionState, type Direction, type Envelope } from './envelope.js';
import type { Frame } from './framer.js';
import { clearGfxFlag, restrictCapabilities, withoutCompression } from './restrict.js';

export class RecordingEditor {
  readonly state = new ConnectionState();

  /** The envelope `frame` decodes to, edited when it is one of the PDUs recording restricts; null when untouched. */
  editEnvelope(dir: Direction, frame: Frame): Envelope | null {
    const env = decodeEnvelope(dir, frame, this.state);
    if (env.conference && env.mcs?.kind === 'connect-initial') {
      const gcc = clearGfxFlag(env.conference.gcc);
      // encodeEnvelope writes the decoded blocks: they are the edited conference's, kept verbatim.
      env.conference = { gcc, blocks: gcc.blocks.map((b) => ({ type: b.type, name: 'unknown', body: b.body })) };
      return env;
    }
    if (env.clientInfo) {
      env.clientInfo = withoutCompression(env.clientInfo);
      return env;
    }
    if (env.active) {
      env.active = restrictCapabilities(env.active);
      return env;
    }
    return null;
  }

  /** The bytes to send on for `frame`: the same Buffer when nothing was edited. */
  edit(dir: Direction, frame: Frame): Buffer {
    const env = this.editEnvelope(dir, frame);
    if (!env) return frame.bytes;
    const out = encodeEnvelope(env);
    return out.equals(frame.bytes) ? frame.bytes : out;
  }
}
