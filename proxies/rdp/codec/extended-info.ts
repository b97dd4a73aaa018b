/**
 * TS_EXTENDED_INFO_PACKET (MS-RDPBCGR 2.2.1.11.1.1.1), the part of the
 * Client Info after WorkingDir, read for what the recording states about
 * the client (its address, performance flags); the relay passes it on as
 * it came.
 *
 *   clientAddressFamily:u16 | cbClientAddress:u16 | clientAddress (UTF-16, NUL included)
 *   | cbClientDir:u16 | clientDir | clientTimeZone (172 bytes) | clientSessionId:u32
 *   | performanceFlags:u32 | cbAutoReconnectCookie:u16 | autoReconnectCookie | ...
 * Every field after clientDir is optional.
 */
import { Reader, utf16z } from './bytes.js';
import { codecError } from './errors.js';

export interface ExtendedInfo {
  /** AF_INET (0x2) or AF_INET6 (0x17). */
  clientAddressFamily: number;
  clientAddress: string;
  clientDir: string;
  clientSessionId: number | null;
  performanceFlags: number | null;
}

export function parseExtendedInfo(extra: Buffer): ExtendedInfo | null {
  if (extra.length === 0) return null;
  const r = new Reader(extra, 'client-info/extended');
  const clientAddressFamily = r.u16le('clientAddressFamily');
  const cbAddress = r.u16le('cbClientAddress');
  if (cbAddress > 80) throw codecError(['client-info', 'extended'], `a client address of ${cbAddress} bytes, more than 80`);
  const clientAddress = utf16z(r.bytes(cbAddress, 'clientAddress'));
  const cbDir = r.u16le('cbClientDir');
  if (cbDir > 512) throw codecError(['client-info', 'extended'], `a client directory of ${cbDir} bytes, more than 512`);
  const clientDir = utf16z(r.bytes(cbDir, 'clientDir'));
  if (r.remaining < 172 + 4) return { clientAddressFamily, clientAddress, clientDir, clientSessionId: null, performanceFlags: null };
  r.offset += 172;
  const clientSessionId = r.u32le('clientSessionId');
  const performanceFlags = r.remaining >= 4 ? r.u32le('performanceFlags') : null;
  return { clientAddressFamily, clientAddress, clientDir, clientSessionId, performanceFlags };
}
