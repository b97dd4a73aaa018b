/**
 * The PostgreSQL handshake's units on top of the generic SocketReader: the
 * client's untyped first packets and typed messages during authentication.
 * A message longer than `maxMessage` is a ProtocolError (handshake messages
 * are small; PostgreSQL itself caps them near 10 000 bytes).
 */
import type { Duplex } from 'node:stream';
import { ProtocolError } from '../../src/errors.js';
import { SocketReader } from '../wire/socket-reader.js';
import { frameStartupPacket } from './protocol/framer.js';
import { messageName } from './protocol/message-types.js';
import type { Side } from './protocol/wire.js';

export { HANDSHAKE_TIMEOUT_MS, PeerClosedError } from '../wire/socket-reader.js';

export interface TypedMessage {
  type: number;
  body: Buffer;
}

export class PacketReader extends SocketReader {
  constructor(
    socket: Duplex,
    private readonly side: Side,
    peer: string,
    private readonly maxMessage = 16_384,
    timeoutMs?: number,
  ) {
    super(socket, peer, timeoutMs);
  }

  /** The client's next untyped packet (SSLRequest, GSSENCRequest, CancelRequest or StartupMessage). */
  startupPacket(): Promise<Buffer> {
    return this.next((b) => {
      const packet = frameStartupPacket(b);
      return packet === null ? undefined : { value: Buffer.from(packet), used: packet.length };
    });
  }

  /** The next typed message, its body copied out of the stream. */
  message(): Promise<TypedMessage> {
    return this.next((b) => {
      if (b.length < 5) return undefined;
      const type = b[0]!;
      const length = b.readUInt32BE(1);
      if (length < 4 || length > this.maxMessage) {
        throw new ProtocolError(['postgres', this.side], `${messageName(this.side, type)} message length ${length} is out of bounds during the handshake (4 to ${this.maxMessage})`);
      }
      if (b.length < 1 + length) return undefined;
      return { value: { type, body: Buffer.from(b.subarray(5, 1 + length)) }, used: 1 + length };
    });
  }
}
