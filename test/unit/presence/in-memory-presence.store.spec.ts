import { InMemoryPresenceStore } from '../../../lib/presence/in-memory-presence.store.js';
import { describePresenceStoreContract } from './presence-store.contract.js';

describePresenceStoreContract('InMemoryPresenceStore', async () => new InMemoryPresenceStore());
