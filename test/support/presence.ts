import type { WsTestClient } from './ws-test-client.js';

/** The `data` of every `presence` frame the client received, in order. */
export const presenceFrames = (client: WsTestClient) =>
  client.frames.filter((f) => f.event === 'presence').map((f) => f.data);

/** The presence entry of an anonymous client (no `authenticate`: `userId` null). */
export const anonymousMember = (client: WsTestClient, info: unknown = null) => ({
  connectionId: client.welcome.data.connectionId as string,
  userId: null,
  info,
});
