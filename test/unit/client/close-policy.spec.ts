import { describe, expect, it } from '@jest/globals';
import { afterClose } from '../../../lib/client/close-policy.js';

describe('afterClose', () => {
  it.each<[number, string]>([
    [1000, 'stop'],
    [4003, 'stop'],
    [1008, 'reconnect-if-new-token'],
    [4004, 'reconnect-if-new-token'],
    [1006, 'reconnect'],
    [1009, 'reconnect'],
    [1011, 'reconnect'],
    [1012, 'reconnect'],
    [1013, 'reconnect'],
    [4001, 'reconnect'],
    [4002, 'reconnect'],
    [4502, 'reconnect'],
  ])('close code %i → %s', (code, expected) => {
    expect(afterClose(code)).toBe(expected);
  });
});
