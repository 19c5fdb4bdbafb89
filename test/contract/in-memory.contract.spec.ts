import { InMemoryBroker } from '../../lib/broker/in-memory/in-memory.broker.js';
import { describeBrokerContract } from './broker.contract.js';

describeBrokerContract('InMemoryBroker', {
  backplane:
    (options = {}) =>
    () =>
      new InMemoryBroker({ shards: 8, retentionMs: options.retentionMs }),
  multiInstance: false,
});
