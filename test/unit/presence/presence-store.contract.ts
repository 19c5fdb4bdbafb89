import { afterEach, describe, expect, it } from '@jest/globals';
import type { PresenceStore } from '../../../lib/presence/presence-store.interface.js';

const ada = { connectionId: 'c-ada', userId: 'ada', info: { name: 'Ada' } };
const bob = { connectionId: 'c-bob', userId: null, info: null };
const cy = { connectionId: 'a-cy', userId: 'cy', info: [1, 'two'] };

/** What every presence store does, whatever keeps the entries (in memory, Redis). */
export function describePresenceStoreContract(
  name: string,
  create: () => Promise<PresenceStore>,
): void {
  describe(`${name} (presence store contract)`, () => {
    const stores: PresenceStore[] = [];
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()));
    });
    async function store(): Promise<PresenceStore> {
      const created = await create();
      stores.push(created);
      await created.maintain();
      return created;
    }

    it('lists the members of a topic by connection id, and nobody on an unknown topic', async () => {
      const presence = await store();
      expect(await presence.join('rooms/1', ada, 's1')).toBe(true);
      expect(await presence.join('rooms/1', bob, 's2')).toBe(true);
      expect(await presence.join('rooms/1', cy, 's3')).toBe(true);
      expect(await presence.join('rooms/2', ada, 's1')).toBe(true);
      expect(await presence.members('rooms/1')).toEqual([cy, ada, bob]);
      expect(await presence.members('rooms/2')).toEqual([ada]);
      expect(await presence.members('rooms/3')).toEqual([]);
    });

    it('answers at most `limit` members, ordered, and counts them all', async () => {
      const presence = await store();
      await presence.join('rooms/1', ada, 's1');
      await presence.join('rooms/1', bob, 's2');
      await presence.join('rooms/1', cy, 's3');
      const two = await presence.members('rooms/1', 2);
      expect(two).toHaveLength(2);
      expect(two.map((m) => m.connectionId)).toEqual(two.map((m) => m.connectionId).sort());
      expect(await presence.members('rooms/1', 3)).toEqual([cy, ada, bob]);
      expect(await presence.count('rooms/1')).toBe(3);
      expect(await presence.count('rooms/9')).toBe(0);
    });

    it('replaces the entry of a connection that joins again: not a new join', async () => {
      const presence = await store();
      await presence.join('rooms/1', ada, 's1');
      const renamed = { ...ada, info: { name: 'Ada L.' } };
      expect(await presence.join('rooms/1', renamed, 's1')).toBe(false);
      expect(await presence.members('rooms/1')).toEqual([renamed]);
    });

    it('removes an entry only for the socket that owns it', async () => {
      const presence = await store();
      await presence.join('rooms/1', ada, 'old-socket');
      // The session resumed on another socket: the entry now belongs to it.
      expect(await presence.join('rooms/1', ada, 'new-socket')).toBe(false);
      expect(await presence.leave('rooms/1', ada.connectionId, 'old-socket')).toBeNull();
      expect(await presence.members('rooms/1')).toEqual([ada]);
      expect(await presence.leave('rooms/1', ada.connectionId, 'new-socket')).toEqual(ada);
      expect(await presence.members('rooms/1')).toEqual([]);
      expect(await presence.leave('rooms/1', ada.connectionId, 'new-socket')).toBeNull();
    });

    it('removes what is left on close and reports it as leaves', async () => {
      const presence = await store();
      await presence.join('rooms/1', ada, 's1');
      await presence.join('rooms/2', bob, 's2');
      const left = await presence.close();
      expect(left).toHaveLength(2);
      expect(left).toEqual(
        expect.arrayContaining([
          { topic: 'rooms/1', action: 'leave', member: ada },
          { topic: 'rooms/2', action: 'leave', member: bob },
        ]),
      );
      expect(await presence.members('rooms/1')).toEqual([]);
    });
  });
}
