import { describe, expect, it } from 'vitest';
import { runSelfTest } from './self-test';

describe('runSelfTest', () => {
  it('delivers its message and agrees on the safety number (user ids derived from the keys on both sides)', async () => {
    const result = await runSelfTest();
    expect(result.messageDelivered).toBe(true);
    expect(result.safetyNumbersMatch).toBe(true);
  });
});
