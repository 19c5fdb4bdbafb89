import { Logger } from '@nestjs/common';
import type { AuthenticatedPrincipal, Authenticate } from '../auth.options.js';
import { encodeAck } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ClientFrame, RefreshAck } from '../protocol/frames.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import { checkPrincipal } from '../security/credential-expiry.js';
import type { CredentialClock } from './credential-clock.js';
import type { Connection } from './connection.js';

const NOT_REFRESHABLE =
  'This connection does not expire (anonymous, or authenticate returned no expiresAt): there is nothing to refresh.';

/**
 * `refresh` from clients: `authenticate` runs again with the connection's upgrade request and
 * the new token; a principal of the same user replaces the connection's, on the same
 * connection, with its new expiry. Anything else leaves the connection as it was, to expire
 * at its old time. Connections that do not expire are refused before `authenticate` is called.
 */
export class RefreshHandler {
  private readonly logger = new Logger('DistributedWs');

  constructor(
    private readonly authenticate: Authenticate | undefined,
    private readonly clock: CredentialClock,
  ) {}

  async refresh(connection: Connection, frame: ClientFrame): Promise<string> {
    const current = this.clock.of(connection);
    if (!current || !this.authenticate) {
      throw new ProtocolError(ErrorCode.NotRefreshable, NOT_REFRESHABLE);
    }
    const token = (frame.data as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0) {
      throw new ProtocolError(ErrorCode.BadRequest, 'refresh needs data {"token": string}.');
    }
    let principal: AuthenticatedPrincipal | null;
    try {
      principal = await this.authenticate(current.request, token);
    } catch {
      // As at the handshake: a thrown error is a refusal, and not logged.
      principal = null;
    }
    if (principal === null || principal === undefined) {
      throw new ProtocolError(ErrorCode.Unauthorized, 'The new token was refused.');
    }
    const expiry = checkPrincipal(principal);
    if ('problem' in expiry) {
      this.logger.error(expiry.problem);
      throw new ProtocolError(ErrorCode.Internal, 'Internal server error.');
    }
    // The user's personal topic and the session token are bound to the user id: it can't change.
    if (principal.userId !== connection.userId) {
      throw new ProtocolError(ErrorCode.Forbidden, 'The new token belongs to another user.');
    }
    const { expiresAt } = expiry;
    const now = Date.now();
    if (expiresAt !== null && expiresAt <= now) {
      throw new ProtocolError(ErrorCode.Unauthorized, 'The new token has expired already.');
    }
    connection.principal = principal;
    if (expiresAt === null) this.clock.forget(connection);
    else this.clock.watch(connection, current.request, expiresAt);
    const ack: RefreshAck = { expiresInMs: expiresAt === null ? null : expiresAt - now };
    return encodeAck(frame.id, ack);
  }
}
