import type { BrokerMessage } from '../broker/broker.interface.js';
import { compareIds, parseOffset } from '../protocol/offset.js';
import { decodeCommand } from '../instance-commands/instance-command.js';
import type { Connection } from './connection.js';

/**
 * Applies an instance command (an entry with `control`) to this instance's connections that
 * match its topic. Malformed commands are ignored.
 */
export function applyCommand(matching: Iterable<Connection>, message: BrokerMessage): void {
  const command = decodeCommand(message.control!);
  if (command === null) return;
  for (const connection of matching) {
    if (command.op === 'close') {
      connection.close(command.code, command.reason);
    } else if (command.op === 'takeover') {
      if (connection.incarnation === command.keep) connection.takeoverMark = message.offset;
      else if (supersedes(command, connection.takeoverMark)) {
        connection.close(command.code, 'session resumed on another connection');
      }
    } else if (command.op === 'presence' && connection.held === null) {
      // Not replayed on resume (control entries never are): a resuming client asks again.
      connection.send(message.payload);
    }
  }
}

/**
 * Whether a takeover closes a socket with this `takeoverMark`. A resume that failed (1013) may
 * have written its takeover already, and Redis may log it long after the client's next resume
 * took the session (Redis stalled, or the link to it did): closing the new socket for it would
 * end the session, as the SDK stops on 4003. So a resumed socket ignores every takeover until
 * its own is back (those logged before it are older), and after that closes only for a resume
 * that had read its takeover: one issued later. Without `after` (an older instance) the
 * takeover closes it as soon as its own is back.
 */
function supersedes(command: { after?: string }, mark: string | null): boolean {
  if (mark === null) return false;
  if (mark === '' || command.after === undefined) return true;
  const resumedAt = parseOffset(command.after);
  const own = parseOffset(mark);
  // Another epoch: the log was lost in between, and the order with it.
  if (!resumedAt || !own || resumedAt.epoch !== own.epoch) return true;
  return compareIds(resumedAt.id, own.id) >= 0;
}
