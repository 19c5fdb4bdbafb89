import { BrokerUnavailableError } from '../errors/broker-unavailable.error.js';
import { NotReplicatedError } from '../errors/not-replicated.error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ProtocolError } from '../protocol/protocol.error.js';

/**
 * Runs a backplane call made for a client request. When the backplane is unavailable the client
 * is told so, with a code it can retry on (`DWS_ERR_BROKER_UNAVAILABLE`), instead of the
 * internal error every other failure becomes.
 * @param failure what could not be done, e.g. `The message could not be published`.
 * @throws ProtocolError for a `BrokerUnavailableError`; anything else unchanged.
 */
export async function orBrokerUnavailable<T>(failure: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof BrokerUnavailableError)) throw error;
    if (error instanceof NotReplicatedError) {
      // Stored on the primary: not "unavailable", and a retry may deliver it twice (publishReplicas).
      throw new ProtocolError(
        ErrorCode.BrokerUnavailable,
        `${failure}: not replicated in time (${error.acknowledged} of ${error.wanted} replicas); it may still be delivered.`,
      );
    }
    throw new ProtocolError(
      ErrorCode.BrokerUnavailable,
      `${failure}: the backplane is unavailable. Retry later.`,
    );
  }
}
