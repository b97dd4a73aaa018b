/**
 * The MySQL part of a relay (proxies/wire/relay.ts): a PacketFramer per
 * direction into the MysqlObserver; the end of a session as an ERR packet
 * numbered after the last server packet (the client reads it as the answer
 * to what it waits for, or as the next thing when idle); COM_QUIT for the
 * target. KILL statements are translated or refused by the screen (kill.ts).
 * MySQL has no message a server may send unasked, so a limit's
 * warning goes only into the transcript. The client's bytes pass the
 * CommandScreen first (COM_CHANGE_USER and replication are refused).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Session } from '../../src/session/session.js';
import { DatabaseRelay, type RelayProtocol } from '../wire/relay.js';
import type { KillJudge } from './kill.js';
import { MysqlObserver, type MysqlObserverOptions } from './observer.js';
import { Command, encodeEmptyCommand } from './protocol/commands.js';
import { PacketFramer, writePacket, type PacketSink } from './protocol/framer.js';
import { Capability } from './protocol/capabilities.js';
import { encodeErr } from './protocol/packets.js';
import { CommandScreen } from './screen.js';

/** ER_CONNECTION_KILLED (MariaDB 1927): what a client shows for "the server ended this connection". */
const CONNECTION_KILLED = 1927;

export function mysqlRelay(client: Socket | TLSSocket, server: Socket | TLSSocket, session: Session, options: MysqlObserverOptions, kills?: KillJudge): DatabaseRelay<PacketSink> {
  return new DatabaseRelay(client, server, session, mysqlProtocol(options, kills));
}

/** The MySQL part of a relay, on its own. */
export function mysqlProtocol(options: MysqlObserverOptions, kills?: KillJudge): RelayProtocol<PacketSink> {
  const serverFramer = new PacketFramer({ side: 'server' });
  let observer: MysqlObserver | undefined;
  return {
    clientFramer: new PacketFramer({ side: 'client' }),
    serverFramer,
    observer: (out) => (observer = new MysqlObserver(out, options)),
    clientScreen: () => new CommandScreen(observer!, options.capabilities, kills),
    notice: () => undefined,
    fatal: (message, kind) =>
      writePacket(
        encodeErr({ code: kind === 'malformed' ? 1043 : CONNECTION_KILLED, sqlState: kind === 'malformed' ? '08S01' : '70100', message }, options.capabilities | Capability.CLIENT_PROTOCOL_41),
        (serverFramer.lastSequenceId + 1) & 0xff,
      ),
    goodbye: () => writePacket(encodeEmptyCommand(Command.COM_QUIT), 0),
  };
}
