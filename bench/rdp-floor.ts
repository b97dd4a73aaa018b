/**
 * The bare filtered RDP relay of bench/rdp.ts in a process of its own:
 * TLS terminated on both legs, PDU by PDU, with the gateway's recording edits
 * (no GFX, no compression) and nothing recorded. Run as its own process it
 * meets the same wake-ups as the gateway does between the bench's byte taps,
 * so the time a key and its update spend inside it is the floor for the
 * gateway's own figure on this machine.
 *
 *   node dist/bench/rdp-floor.js TARGET_PORT     prints {"port":N} once listening;
 *                                                 relays one connection; SIGTERM stops it
 */
import { RecordingEditor } from '../proxies/rdp/codec/recording-editor.js';
import { startCaptureRelay } from '../test/fixtures/rdp-capture.js';

const editor = new RecordingEditor();
const relay = await startCaptureRelay({ targetPort: Number(process.argv[2]), maxRecordedBytes: 0, edit: (dir, frame) => editor.edit(dir, frame) });
process.stdout.write(`${JSON.stringify({ port: relay.port })}\n`);
process.on('SIGTERM', () => void relay.stop().then(() => process.exit(0)));
