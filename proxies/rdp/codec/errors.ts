/**
 * The one error the RDP codecs throw: a ProtocolError whose layer path
 * starts at `rdp` and names the layers the bytes went through, outermost
 * first (pyrdp's ParsingError idea), e.g. `rdp/tpkt/x224/mcs`.
 */
import { ProtocolError } from '../../../src/errors.js';

export function codecError(layers: string[], message: string): ProtocolError {
  return new ProtocolError(['rdp', ...layers], message);
}
