import { expect } from '@jest/globals';
import type { WsTestClient } from './ws-test-client.js';

/**
 * A subscriber and publisher on the fixture gateway's `chat/rooms/calm` that must notice nothing
 * of the abuse next to it: its own publish comes back (upper-cased by the fixture's hook), and it
 * stays open.
 */
export async function expectBystanderUnaffected(
  bystander: WsTestClient,
  text: string,
): Promise<void> {
  await bystander.request('subscribe', { topic: 'chat/rooms/calm' });
  await bystander.request('publish', { topic: 'chat/rooms/calm', payload: { text } });
  const message = await bystander.next(
    (f) => f.event === 'message' && f.data.payload.text === text.toUpperCase(),
  );
  expect(message.data.topic).toBe('chat/rooms/calm');
  expect(bystander.closed).toBeNull();
}
