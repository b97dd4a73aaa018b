import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../../test/fixtures/gateway-env.js';
import { parseCapture } from '../../../test/fixtures/rdp-capture.js';
import { walkCapture } from './walker.js';

const capture = (name: string) => parseCapture(readFileSync(join(ROOT, 'test', 'fixtures', 'rdp', 'captures', name), 'utf8'));

for (const name of ['xfreerdp-xrdp-tls.txt', 'xfreerdp-shadow-tls.txt']) {
  test(`every PDU of ${name} decodes through every layer and encodes back to its bytes`, () => {
    const { tally } = walkCapture(capture(name));
    console.log(name, tally);
    for (const label of ['x224:connection-request', 'x224:connection-confirm', 'mcs:connect-initial', 'mcs:connect-response', 'mcs:attach-user-confirm']) assert.ok(tally[label], `${label} seen`);
    assert.ok(Object.keys(tally).some((l) => l.endsWith('/client-info')));
    assert.ok(Object.keys(tally).some((l) => l.endsWith('/demand-active')));
    assert.ok(Object.keys(tally).some((l) => l.endsWith('/confirm-active')));
  });
}
