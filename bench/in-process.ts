/**
 * What the in-process benches (record-path.ts, tap-path.ts) share: a real
 * Session whose recording goes to a LocalStore (or is refused, for the
 * unrecorded half), and input bytes laid out as socket reads hand them over.
 */
import { silentLogger } from '../src/log.js';
import { DEFAULT_RECORDER_OPTIONS, Recorder, type RecorderOptions } from '../src/recording/recorder.js';
import { generateAuditorKey } from '../src/seal/keys.js';
import { generateSigningKey } from '../src/seal/signing.js';
import { defaultSodium } from '../src/seal/sodium.js';
import { Session, type SessionOptions } from '../src/session/session.js';
import type { LocalStore } from '../src/store/local.js';
import { unreachableTarget } from '../test/fixtures/target-config.js';

const sodium = defaultSodium();
const auditor = generateAuditorKey(sodium);
const signer = generateSigningKey(sodium);

/**
 * A session to a `protocol` target as alice. Recorded, its recording is sealed for one auditor
 * into `store`; unrecorded, the recording is refused and not required, so the relay and the
 * observer run and nothing is sealed or stored. `sessionOptions` as a proxy gives them (a database
 * proxy declares its transcript's terminal).
 */
export function openSession(store: LocalStore, protocol: string, recorded: boolean, options: RecorderOptions = DEFAULT_RECORDER_OPTIONS, sessionOptions: SessionOptions = {}): Promise<Session> {
  const target = unreachableTarget(protocol, auditor.publicKey, { name: `${protocol}01`, required: recorded });
  return Session.open(
    {
      log: silentLogger(),
      startRecording: (who, request) =>
        recorded
          ? Recorder.start({ store, sodium, signer, recipients: [{ name: 'officer', publicKey: auditor.publicKey }], log: silentLogger() }, who, options, request?.terminal)
          : Promise.reject(new Error('not recorded')),
    },
    { user: 'alice', clientAddress: '127.0.0.1' },
    target,
    sessionOptions,
  );
}

/** Where asRead copies bytes: as the gateway's reads do, chunks are views of large buffers off V8's heap. */
let readSlab = new ArrayBuffer(0);
let readSlabUsed = 0;

/**
 * `data` (a string as latin1) as a socket read hands it over: a view of a large buffer off V8's
 * heap. A Buffer of 64 bytes or fewer made on its own lives on V8's heap, and the first view
 * taken of one (the framers take them) costs V8 a copy of it off the heap, which no socket read
 * costs.
 */
export function asRead(data: Buffer | string): Buffer {
  const length = data.length;
  if (readSlab.byteLength - readSlabUsed < length) {
    readSlab = new ArrayBuffer(Math.max(1 << 20, length));
    readSlabUsed = 0;
  }
  const view = Buffer.from(readSlab, readSlabUsed, length);
  if (typeof data === 'string') view.write(data, 'latin1');
  else data.copy(view);
  readSlabUsed += length;
  return view;
}
