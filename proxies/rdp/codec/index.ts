/**
 * The RDP codecs: pure functions of bytes, one module per layer, for a
 * relay that terminates TLS on both legs and edits only what recording
 * needs. Nothing here does I/O.
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
