import type { BrokerMessage } from '../broker/broker.interface.js';
import type { ConnectionRegistry } from './connection-registry.js';

/** Commands instances send each other through the backplane, on the topic whose connections they concern. */
export type ControlCommand =
  | { op: 'close'; code: number; reason: string }
  /** A session was resumed on another socket: every other socket of it closes. */
  | { op: 'takeover'; code: number; keep: string }
  /** The entry's payload is a complete `presence` frame for the topic's subscribers. */
  | { op: 'presence' };

export function encodeControl(command: ControlCommand): string {
  return JSON.stringify(command);
}

/** Applies a control entry to the matching connections of this instance. Malformed ones are ignored. */
export function applyControl(registry: ConnectionRegistry, message: BrokerMessage): void {
  let command: ControlCommand;
  try {
    command = JSON.parse(message.control!);
  } catch {
    return;
  }
  for (const connection of registry.index.matching(message.topic)) {
    if (command.op === 'close') {
      connection.close(command.code, command.reason);
    } else if (command.op === 'takeover') {
      // The last takeover in log order wins. One that comes before this socket's own is from a
      // resume that this one superseded (say, one that failed while Redis stalled and whose
      // entry landed late): closing this socket for it would end the session for good.
      if (connection.incarnation === command.keep) connection.awaitingOwnTakeover = false;
      else if (!connection.awaitingOwnTakeover) {
        connection.close(command.code, 'session resumed on another connection');
      }
    } else if (command.op === 'presence' && connection.held === null) {
      // Not replayed on resume (control entries never are): a resuming client asks again.
      connection.send(message.payload);
    }
  }
}
