import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { securityOf } from '../../../lib/asyncapi/asyncapi.input.js';
import { DistributedWsModule, type DistributedWsOptions } from '../../../lib/index.js';
import { buildAsyncApiDocument, describeDeclarations } from '../../../lib/asyncapi/index.js';
import { TopicRegistry } from '../../../lib/explorer/topic-registry.js';
import { ChatGateway } from '../../../sample/chat.gateway.js';

/** Every `summary` in the document, by its path. */
function summaries(node: unknown, path = '', found: Record<string, string> = {}) {
  if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'summary' && typeof value === 'string') found[`${path}.summary`] = value;
      else summaries(value, `${path}.${key}`, found);
    }
  }
  return found;
}

/**
 * AsyncAPI 3.0 makes `description` CommonMark and `summary` plain text, and the viewer shows a
 * summary as is: a code span there reached the page as literal backticks (issue 15).
 */
describe('summaries of the generated document', () => {
  it('are plain text: no Markdown code spans, the viewer would show the backticks', async () => {
    const options: DistributedWsOptions = { authenticate: () => ({ userId: 'ada' }) };
    const moduleRef = await Test.createTestingModule({
      imports: [DistributedWsModule.forRoot(options)],
      providers: [ChatGateway],
    }).compile();
    await moduleRef.init();
    try {
      const input = describeDeclarations(
        moduleRef.get(TopicRegistry),
        {},
        null,
        securityOf(options),
      );
      const found = summaries(buildAsyncApiDocument(input));
      expect(found['.components.messages.error.summary']).toBe(
        "A frame could not be handled; its id is the offending frame's when it had one.",
      );
      expect(found['.channels.broadcast.summary']).toBe(
        'Messages for every connection (Broadcaster.broadcast).',
      );
      expect(found['.components.messages.StatsReply.summary']).toBe(
        'What the stats handler returns, when the frame had an id.',
      );
      expect(Object.entries(found).filter(([, text]) => text.includes('`'))).toEqual([]);
    } finally {
      await moduleRef.close();
    }
  });
});
