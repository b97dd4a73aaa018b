/**
 * The RDP codecs: pure functions of bytes, one module per layer, for a
 * relay that terminates TLS on both legs and edits only what recording
 * needs (pyrdp's approach). Nothing here does I/O.
 *
 *   framer            TPKT / fast-path / CredSSP framing of a byte stream
 *   x224              Connection Request / Confirm with RDP negotiation, data TPDU
 *   mcs, asn1         Connect-Initial / Response (BER), domain PDUs (PER)
 *   gcc, data-blocks  Conference Create Request / Response and the client and server data blocks
 *   security, extended-info   basic security header, Client Info, licensing (recognised)
 *   share, capabilities, data-pdus, data-body, logon-info, error-info   slow-path share PDUs
 *   input, updates, fastpath-output, fastpath   input events, screen and pointer updates
 *   channels, cliprdr, display-control          virtual channels and what rides them
 *   restrict, recording-editor                  the edits recording needs
 *   envelope, walker  one PDU through every layer and back; walking a recorded connection
 */
export * from './errors.js';
export { Reader, Writer } from './bytes.js';
export * from './framer.js';
export * from './x224.js';
export * from './mcs.js';
export * from './gcc.js';
export * from './data-blocks.js';
export * from './security.js';
export * from './share.js';
export * from './capabilities.js';
export * from './restrict.js';
export * from './data-pdus.js';
export * from './data-body.js';
export * from './input.js';
export * from './updates.js';
export * from './fastpath-output.js';
export * from './fastpath.js';
export * from './channels.js';
export * from './cliprdr.js';
export * from './display-control.js';
export * from './error-info.js';
export * from './envelope.js';
export * from './walker.js';
export * from './recording-editor.js';
export * from './struct.js';
export * from './extended-info.js';
export * from './logon-info.js';
