/**
 * A topic template that cannot be parsed, or parameters that cannot fill it. Thrown at boot
 * for declarations, so the message says what to change.
 * @publicApi
 */
export class TopicTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicTemplateError';
  }
}
