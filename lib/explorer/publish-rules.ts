/**
 * How the topic policy's publish checks differ by who publishes. Each field is one difference
 * between a client's `publish` frame and `Broadcaster.publish`, kept as it was when the two
 * paths were written separately (issue 16).
 */

/** Who publishes: a client's `publish` frame, or the application through `Broadcaster.publish`. */
export type PublishOrigin = 'client' | 'server';

/**
 * Where a client publish and a server publish part ways. The server is the application itself:
 * it may publish to any well-formed, non-reserved topic, and only the schema binds it, so that
 * no client ever receives a payload its topic's declaration says it cannot.
 */
export interface PublishRules {
  /** Clients are held to the `maxTopicLength` option; the server to the default (256). */
  readonly lengthLimit: 'option' | 'default';
  /** A topic no gateway declares: refused to clients; the server publishes there unchecked. */
  readonly mustBeDeclared: boolean;
  /** `clientsMayPublish: false` (server-only topics) binds clients only. */
  readonly checkPermission: boolean;
  /** `params` patterns and enums bind clients only. */
  readonly checkParams: boolean;
  /** `@OnPublish` hooks see a connection, so they run for client publishes only. */
  readonly runHooks: boolean;
  /** The wording of a refusal: the server's tells the developer which method to use instead. */
  readonly reservedMessage: (topic: string) => string;
  readonly payloadMessage: (topic: string, problem: string) => string;
}

export const PUBLISH_RULES: Record<PublishOrigin, PublishRules> = {
  client: {
    lengthLimit: 'option',
    mustBeDeclared: true,
    checkPermission: true,
    checkParams: true,
    runHooks: true,
    reservedMessage: (topic) => `Topic "${topic}" is reserved to the server.`,
    payloadMessage: (_topic, problem) => problem,
  },
  server: {
    lengthLimit: 'default',
    mustBeDeclared: false,
    checkPermission: false,
    checkParams: false,
    runHooks: false,
    reservedMessage: (topic) =>
      `Topic "${topic}" is reserved: use broadcast(), sendToConnection() or sendToUser().`,
    payloadMessage: (topic, problem) =>
      `Payload for "${topic}" does not match its schema: ${problem}`,
  },
};
