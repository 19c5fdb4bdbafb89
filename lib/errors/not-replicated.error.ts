import { BrokerUnavailableError } from './broker-unavailable.error.js';

/**
 * Thrown by `publish` (and so by every `Broadcaster` method) with `publishReplicas` set, when
 * fewer Redis replicas than asked acknowledged the message within `publishReplicasTimeoutMs`.
 * Unlike its parent, the message **is** in the primary's log: it may still be delivered, and a
 * failover before the replicas catch up may lose it. Retrying may deliver it twice.
 * @publicApi
 */
export class NotReplicatedError extends BrokerUnavailableError {
  constructor(
    message: string,
    /** Replicas asked for (`publishReplicas`). */
    readonly wanted: number,
    /** Replicas that acknowledged in time (Redis `WAIT`'s answer). */
    readonly acknowledged: number,
  ) {
    super(message);
    this.name = 'NotReplicatedError';
  }
}
