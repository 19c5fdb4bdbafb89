import { describe, expect, it } from '@jest/globals';
import {
  credentialExpiry,
  refreshAskedAt,
  timerDelay,
} from '../../../lib/security/credential-expiry.js';

describe('credentialExpiry', () => {
  it('reads expiresAt in ms since the epoch, or none', () => {
    expect(credentialExpiry({ userId: 'a', expiresAt: 1_796_000_000_000 })).toEqual({
      expiresAt: 1_796_000_000_000,
    });
    expect(credentialExpiry({ userId: 'a' })).toEqual({ expiresAt: null });
    expect(credentialExpiry({ userId: 'a', expiresAt: null })).toEqual({ expiresAt: null });
  });

  it('says what is wrong with seconds, dates and other values', () => {
    expect(credentialExpiry({ expiresAt: 1_796_000_000 })).toEqual({
      problem:
        'authenticate() returned "expiresAt" 1796000000, which is in seconds: give ms since the epoch (a JWT\'s exp * 1000).',
    });
    expect(credentialExpiry({ expiresAt: new Date(0) })).toEqual({
      problem:
        'authenticate() returned an "expiresAt" that is not a finite number of ms since the epoch (got a Date: use date.getTime()).',
    });
    expect(credentialExpiry({ expiresAt: '1796000000000' })).toEqual({
      problem:
        'authenticate() returned an "expiresAt" that is not a finite number of ms since the epoch (got string 1796000000000).',
    });
    expect(credentialExpiry({ expiresAt: Infinity })).toHaveProperty('problem');
  });
});

describe('refreshAskedAt', () => {
  it('asks 10% of the lifetime ahead, at most 30 s', () => {
    expect(refreshAskedAt(0, 1500)).toBe(1350);
    expect(refreshAskedAt(0, 60_000)).toBe(54_000);
    expect(refreshAskedAt(0, 3_600_000)).toBe(3_570_000);
    expect(refreshAskedAt(1000, 1000)).toBe(1000);
  });
});

describe('timerDelay', () => {
  it('stays within what setTimeout holds', () => {
    expect(timerDelay(1500, 1000)).toBe(500);
    expect(timerDelay(900, 1000)).toBe(0);
    expect(timerDelay(40 * 86_400_000, 0)).toBe(2 ** 31 - 1);
  });
});
