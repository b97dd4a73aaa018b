/**
 * The device redirection channel's core messages (MS-RDPEFS), as far as the
 * gateway needs them to tell the kinds of device apart:
 *
 *   RDPDR_HEADER (2.2.1.1)  component:u16 | packetId:u16
 *   DR_CORE_DEVICELIST_ANNOUNCE_REQ (2.2.2.9)  header | deviceCount:u32 | DEVICE_ANNOUNCE*
 *   DEVICE_ANNOUNCE (2.2.1.3)  deviceType:u32 | deviceId:u32 | preferredDosName:8 bytes
 *                              | deviceDataLength:u32 | deviceData
 *
 * One channel carries drives, printers, smart cards and ports alike; the
 * client names each device in a Device List Announce before the server
 * sends it any I/O, so a list with only the allowed kinds is what keeps the
 * others off the target.
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';

export const RDPDR_CTYP_CORE = 0x4472;
export const PAKID_CORE_DEVICELIST_ANNOUNCE = 0x4441;

/** DeviceType values (2.2.1.3). */
export const DeviceType = {
  SERIAL: 0x01,
  PARALLEL: 0x02,
  PRINT: 0x04,
  FILESYSTEM: 0x08,
  SMARTCARD: 0x20,
} as const;

export type DeviceKind = 'drive' | 'printer' | 'smartcard' | 'port' | 'unknown';

export function deviceKind(type: number): DeviceKind {
  switch (type) {
    case DeviceType.FILESYSTEM:
      return 'drive';
    case DeviceType.PRINT:
      return 'printer';
    case DeviceType.SMARTCARD:
      return 'smartcard';
    case DeviceType.SERIAL:
    case DeviceType.PARALLEL:
      return 'port';
    default:
      return 'unknown';
  }
}

export interface DeviceAnnounce {
  type: number;
  id: number;
  /** PreferredDosName: up to 7 ASCII characters and a NUL (`C`, `PRN1`, `COM1`, `SCARD`). */
  dosName: string;
  /** The DEVICE_ANNOUNCE exactly as it arrived, so a kept device passes unchanged. */
  raw: Buffer;
}

/** Whether `data` begins with the header of a Device List Announce; needs 4 bytes. */
export function isDeviceListAnnounce(data: Buffer): boolean {
  return data.length >= 4 && data.readUInt16LE(0) === RDPDR_CTYP_CORE && data.readUInt16LE(2) === PAKID_CORE_DEVICELIST_ANNOUNCE;
}

/** The devices of a Device List Announce message. */
export function parseDeviceListAnnounce(message: Buffer): DeviceAnnounce[] {
  if (!isDeviceListAnnounce(message)) throw codecError(['rdpdr'], 'not a device list announce');
  const r = new Reader(message.subarray(4), 'rdpdr');
  const count = r.u32le('deviceCount');
  // Each announce takes at least 20 bytes: a count beyond what the message holds is a lie, not a loop bound.
  if (count > r.remaining / 20) throw codecError(['rdpdr'], `${count} devices announced in ${message.length} bytes`);
  const devices: DeviceAnnounce[] = [];
  for (let i = 0; i < count; i++) {
    const start = 4 + r.offset;
    const type = r.u32le('deviceType');
    const id = r.u32le('deviceId');
    const name = r.bytes(8, 'preferredDosName');
    const dataLength = r.u32le('deviceDataLength');
    r.bytes(dataLength, 'deviceData');
    const end = 4 + r.offset;
    const nul = name.indexOf(0);
    devices.push({ type, id, dosName: name.subarray(0, nul < 0 ? 8 : nul).toString('latin1').replace(/[^\x20-\x7e]/g, '?'), raw: message.subarray(start, end) });
  }
  return devices;
}

/** A Device List Announce of `devices` (kept in their order, bytes unchanged). */
export function serializeDeviceListAnnounce(devices: readonly DeviceAnnounce[]): Buffer {
  const w = new Writer().u16le(RDPDR_CTYP_CORE).u16le(PAKID_CORE_DEVICELIST_ANNOUNCE).u32le(devices.length);
  for (const d of devices) w.bytes(d.raw);
  return w.done();
}
