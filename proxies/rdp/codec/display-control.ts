/**
 * Display control, the dynamic channel "Microsoft::Windows::RDS::DisplayControl"
 * through which a client asks for a new resolution (MS-RDPEDISP 2.2):
 *
 *   DISPLAYCONTROL_HEADER (2.2.1.1)  type:u32 | length:u32 (header included)
 *   Caps (2.2.2.1, type 5)           MaxNumMonitors | MaxMonitorAreaFactorA | MaxMonitorAreaFactorB (u32)
 *   Monitor Layout (2.2.2.2, type 2) MonitorLayoutSize:u32 (40) | NumMonitors:u32 | DISPLAYCONTROL_MONITOR_LAYOUT * n:
 *                                    Flags | Left:i32 | Top:i32 | Width | Height | PhysicalWidth | PhysicalHeight
 *                                    | Orientation | DesktopScaleFactor | DeviceScaleFactor (u32 otherwise)
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';

export interface MonitorLayout {
  flags: number;
  left: number;
  top: number;
  width: number;
  height: number;
  physicalWidth: number;
  physicalHeight: number;
  orientation: number;
  desktopScaleFactor: number;
  deviceScaleFactor: number;
}

export type DisplayControl =
  | { type: 'caps'; maxNumMonitors: number; factorA: number; factorB: number }
  | { type: 'layout'; monitors: MonitorLayout[] };

export const MONITOR_PRIMARY = 0x1;

export function parseDisplayControl(pdu: Buffer): DisplayControl {
  const r = new Reader(pdu, 'display-control');
  const type = r.u32le('type');
  const length = r.u32le('length');
  if (length !== pdu.length) throw codecError(['display-control'], `length ${length} is not the ${pdu.length} bytes of the PDU`);
  if (type === 5) {
    const caps = { type: 'caps' as const, maxNumMonitors: r.u32le(), factorA: r.u32le(), factorB: r.u32le() };
    r.end('the caps');
    return caps;
  }
  if (type !== 2) throw codecError(['display-control'], `unknown PDU type ${type}`);
  const size = r.u32le('MonitorLayoutSize');
  if (size !== 40) throw codecError(['display-control'], `MonitorLayoutSize ${size}, not 40`);
  const n = r.u32le('NumMonitors');
  if (n > 16) throw codecError(['display-control'], `${n} monitors, more than 16`);
  const monitors: MonitorLayout[] = [];
  for (let i = 0; i < n; i++) {
    monitors.push({
      flags: r.u32le(),
      left: r.i32le(),
      top: r.i32le(),
      width: r.u32le(),
      height: r.u32le(),
      physicalWidth: r.u32le(),
      physicalHeight: r.u32le(),
      orientation: r.u32le(),
      desktopScaleFactor: r.u32le(),
      deviceScaleFactor: r.u32le(),
    });
  }
  r.end('the monitor layout');
  return { type: 'layout', monitors };
}

export function serializeDisplayControl(p: DisplayControl): Buffer {
  const body = new Writer();
  if (p.type === 'caps') body.u32le(p.maxNumMonitors).u32le(p.factorA).u32le(p.factorB);
  else {
    body.u32le(40).u32le(p.monitors.length);
    for (const m of p.monitors) {
      body.u32le(m.flags).i32le(m.left).i32le(m.top).u32le(m.width).u32le(m.height).u32le(m.physicalWidth).u32le(m.physicalHeight);
      body.u32le(m.orientation).u32le(m.desktopScaleFactor).u32le(m.deviceScaleFactor);
    }
  }
  const b = body.done();
  return new Writer().u32le(p.type === 'caps' ? 5 : 2).u32le(b.length + 8).bytes(b).done();
}

/** A resize request for one monitor of `width` x `height` (MS-RDPEDISP 2.2.2.2.1: width even, 200..8192). */
export function resizeRequest(width: number, height: number): DisplayControl {
  if (width < 200 || width > 8192 || height < 200 || height > 8192 || width % 2) throw codecError(['display-control'], `a ${width}x${height} monitor`);
  return { type: 'layout', monitors: [{ flags: MONITOR_PRIMARY, left: 0, top: 0, width, height, physicalWidth: 0, physicalHeight: 0, orientation: 0, desktopScaleFactor: 100, deviceScaleFactor: 100 }] };
}
