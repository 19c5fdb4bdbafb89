import { Ajv } from 'ajv';
import { ackDataSchemas, type ResumeAckAsDocumented } from '../../../lib/protocol/ack.schemas.js';
import { clientFrameDataSchemas } from '../../../lib/protocol/client-frame.schemas.js';
import { ErrorCode } from '../../../lib/protocol/error-codes.js';
import { frameSchema } from '../../../lib/protocol/frame.schemas.js';
import type {
  ErrorData,
  MessageData,
  PositionsData,
  PresenceAck,
  PresenceEventData,
  PresenceRequestData,
  PublishAck,
  PublishData,
  ResumeData,
  SubscribeAck,
  SubscribeData,
  UnsubscribeAck,
  UnsubscribeData,
  WelcomeData,
} from '../../../lib/protocol/frames.js';
import type { JsonSchema, RequiredKeys } from '../../../lib/protocol/json-schema.js';
import { serverFrameDataSchemas } from '../../../lib/protocol/server-frame.schemas.js';

// The compiler already ties each schema's keys to its frame type (`objectSchema`). These
// samples, typed with the same types, check the rest: that every value the type allows passes
// the schema (types, consts, patterns), with every optional field and with none.

/** A value with every field of `T`, and one with only the required ones. */
interface Samples<T> {
  full: Required<T>;
  minimal: Pick<T, RequiredKeys<T>>;
}

const OFFSET = '0:k2Jx9q:1718000000000-0';
const member = { connectionId: 'c1', userId: null, info: null };

const subscribe: Samples<SubscribeData> = {
  full: { topic: 'chat/rooms/+', info: { name: 'Ada' } },
  minimal: { topic: 'chat/#' },
};
const unsubscribe: Samples<UnsubscribeData> = {
  full: { topic: 'chat/rooms/+' },
  minimal: { topic: 'chat/rooms/+' },
};
const publish: Samples<PublishData> = {
  full: { topic: 'chat/rooms/1', payload: { text: 'hi' } },
  minimal: { topic: 'chat/rooms/1', payload: null },
};
const resume: Samples<ResumeData> = {
  full: { token: 't', topics: ['a/+'], positions: [OFFSET], info: { 'a/1': { name: 'Ada' } } },
  minimal: { token: 't', topics: [], positions: [] },
};
const presence: Samples<PresenceRequestData> = {
  full: { topic: 'rooms/1' },
  minimal: { topic: 'rooms/1' },
};
const welcome: Samples<WelcomeData> = {
  full: { connectionId: 'c1', sessionToken: 't', positions: [OFFSET], heartbeat: 25000, shards: 1 },
  minimal: { connectionId: 'c1', sessionToken: 't', positions: [OFFSET], heartbeat: 0, shards: 1 },
};
const message: Samples<MessageData> = {
  full: { topic: 'a/1', payload: [1, 2], offset: OFFSET },
  minimal: { topic: 'a/1', payload: 'x', offset: OFFSET },
};
const positions: Samples<PositionsData> = {
  full: { positions: [OFFSET], sessionToken: 't' },
  minimal: { positions: [] },
};
const presenceEvent: Samples<PresenceEventData> = {
  full: { topic: 'rooms/1', action: 'leave', member: { ...member, userId: 'ada' } },
  minimal: { topic: 'rooms/1', action: 'join', member },
};
const error: Samples<ErrorData> = {
  full: { code: ErrorCode.RateLimited, message: 'slow down', retryAfterMs: 250 },
  minimal: { code: 'APP_SPECIFIC', message: 'no' },
};
const subscribeAck: Samples<SubscribeAck> = {
  full: { topic: 'a/+', subscribed: true, alreadySubscribed: false, presence: true },
  minimal: { topic: 'a/+', subscribed: true, alreadySubscribed: true },
};
const unsubscribeAck: Samples<UnsubscribeAck> = {
  full: { topic: 'a/+', subscribed: false, wasSubscribed: true },
  minimal: { topic: 'a/+', subscribed: false, wasSubscribed: false },
};
const publishAck: Samples<PublishAck> = {
  full: { topic: 'a/1', offset: OFFSET },
  minimal: { topic: 'a/1', offset: OFFSET },
};
const resumeAck: Samples<ResumeAckAsDocumented> = {
  full: {
    recovered: false,
    reason: 'window',
    connectionId: 'c1',
    sessionToken: 't',
    topics: ['a/+'],
    rejected: [{ topic: 'b/1', code: ErrorCode.Forbidden, message: 'no' }],
    replayed: 0,
    positions: [OFFSET],
  },
  minimal: {
    recovered: true,
    connectionId: 'c1',
    sessionToken: 't',
    topics: [],
    rejected: [],
    replayed: 3,
    positions: [OFFSET],
  },
};
const presenceAck: Samples<PresenceAck> = {
  full: { topic: 'rooms/1', members: [member], truncated: true, total: 1200 },
  minimal: { topic: 'rooms/1', members: [] },
};

const cases: [string, JsonSchema, Samples<object>][] = [
  ['subscribe', clientFrameDataSchemas.subscribe, subscribe],
  ['unsubscribe', clientFrameDataSchemas.unsubscribe, unsubscribe],
  ['publish', clientFrameDataSchemas.publish, publish],
  ['resume', clientFrameDataSchemas.resume, resume],
  ['presence', clientFrameDataSchemas.presence, presence],
  ['welcome', serverFrameDataSchemas.welcome, welcome],
  ['message', serverFrameDataSchemas.message, message],
  ['positions', serverFrameDataSchemas.positions, positions],
  ['presenceEvent', serverFrameDataSchemas.presenceEvent, presenceEvent],
  ['error', serverFrameDataSchemas.error, error],
  ['subscribeAck', ackDataSchemas.subscribe, subscribeAck],
  ['unsubscribeAck', ackDataSchemas.unsubscribe, unsubscribeAck],
  ['publishAck', ackDataSchemas.publish, publishAck],
  ['resumeAck', ackDataSchemas.resume, resumeAck],
  ['presenceAck', ackDataSchemas.presence, presenceAck],
];

// `examples` is an annotation AsyncAPI shows; Ajv's strict mode would refuse it.
const ajv = new Ajv({ strict: false, allErrors: true });

describe('frame data schemas', () => {
  it.each(cases)(
    '%s accepts values of its type, with and without optional fields',
    (_, schema, samples) => {
      const validate = ajv.compile(schema);
      expect([validate(samples.full), validate.errors]).toEqual([true, null]);
      expect([validate(samples.minimal), validate.errors]).toEqual([true, null]);
    },
  );

  it.each(cases.filter(([name]) => name !== 'error'))(
    '%s refuses a field its type does not have',
    (_, schema, samples) => {
      expect(ajv.validate(schema, { ...samples.full, unexpected: 1 })).toBe(false);
    },
  );

  it('an error frame may carry fields the application adds', () => {
    expect(ajv.validate(serverFrameDataSchemas.error, { ...error.minimal, retry: true })).toBe(
      true,
    );
  });

  it('the envelope fixes the event and the id rule', () => {
    const data = clientFrameDataSchemas.presence;
    const request = ajv.compile(frameSchema('presence', data, 'optional'));
    expect(request({ event: 'presence', data: { topic: 'a' } })).toBe(true);
    expect(request({ event: 'presence', id: 'r1', data: { topic: 'a' } })).toBe(true);
    expect(request({ event: 'publish', data: { topic: 'a' } })).toBe(false);
    const ack = ajv.compile(frameSchema('ack', data, 'required'));
    expect(ack({ event: 'ack', data: { topic: 'a' } })).toBe(false);
    const push = ajv.compile(frameSchema('presence', data, 'none'));
    expect(push({ event: 'presence', id: 1, data: { topic: 'a' } })).toBe(false);
  });
});
