/**
 * The Save Session Info PDU's logon notifications (MS-RDPBCGR 2.2.10.1.1):
 * who the server logged on, which the recording states as an event.
 *
 *   INFOTYPE_LOGON (0), TS_LOGON_INFO (2.2.10.1.1.1):
 *     cbDomain:u32 | Domain (52 bytes, UTF-16) | cbUserName:u32 | UserName (512 bytes) | SessionId:u32
 *   INFOTYPE_LOGON_LONG (1), TS_LOGON_INFO_VERSION_2 (2.2.10.1.1.2):
 *     Version:u16 | Size:u32 (18) | SessionId:u32 | cbDomain:u32 | cbUserName:u32 | Pad (558 bytes)
 *     | Domain (cbDomain bytes, NUL included) | UserName (cbUserName bytes)
 *   INFOTYPE_LOGON_PLAINNOTIFY (2): 576 bytes of padding
 *   INFOTYPE_LOGON_EXTENDED_INFO (3), TS_LOGON_INFO_EXTENDED (2.2.10.1.1.4): kept verbatim
 */
import { Reader, utf16z } from './bytes.js';
import { codecError } from './errors.js';

export type LogonInfo =
  | { type: 'logon'; domain: string; userName: string; sessionId: number }
  | { type: 'plain-notify' }
  | { type: 'extended'; data: Buffer };

/** The logon a Save Session Info body (infoType and infoData) tells of. */
export function parseLogonInfo(data: Buffer): LogonInfo {
  const r = new Reader(data, 'save-session-info');
  const infoType = r.u32le('infoType');
  switch (infoType) {
    case 0: {
      const cbDomain = r.u32le('cbDomain');
      const domain = r.bytes(52, 'Domain');
      const cbUser = r.u32le('cbUserName');
      const user = r.bytes(512, 'UserName');
      if (cbDomain > 52 || cbUser > 512) throw codecError(['save-session-info'], 'a name longer than its field');
      return { type: 'logon', domain: utf16z(domain.subarray(0, cbDomain)), userName: utf16z(user.subarray(0, cbUser)), sessionId: r.u32le('SessionId') };
    }
    case 1: {
      r.u16le('Version');
      r.u32le('Size');
      const sessionId = r.u32le('SessionId');
      const cbDomain = r.u32le('cbDomain');
      const cbUser = r.u32le('cbUserName');
      if (cbDomain > 52 || cbUser > 512) throw codecError(['save-session-info'], 'a name longer than the protocol allows');
      r.bytes(558, 'Pad');
      return { type: 'logon', domain: utf16z(r.bytes(cbDomain, 'Domain')), userName: utf16z(r.bytes(cbUser, 'UserName')), sessionId };
    }
    case 2:
      return { type: 'plain-notify' };
    case 3:
      return { type: 'extended', data: r.rest() };
    default:
      throw codecError(['save-session-info'], `unknown infoType ${infoType}`);
  }
}
