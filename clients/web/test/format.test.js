// Unit tests of the console's pure modules (no browser needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAmount, parseAsset, formatDuration } from '../static/format.js';

test('formatAmount uses the asset decimals, exactly', () => {
  assert.equal(formatAmount('123456', 'EUR/2'), '1,234.56');
  assert.equal(formatAmount('5', 'USD/2'), '0.05');
  assert.equal(formatAmount('-1005', 'USD/2'), '-10.05');
  assert.equal(formatAmount('0', 'USD/2'), '0.00');
  assert.equal(formatAmount('1234567', 'JPY/0'), '1,234,567');
  assert.equal(formatAmount('123456789012345678901234567890', 'BTC/8'), '1,234,567,890,123,456,789,012.34567890');
  assert.equal(formatAmount('100', 'XXX'), '100');
  assert.equal(formatAmount('n/a', 'USD/2'), 'n/a');
});

test('parseAsset splits code and decimals', () => {
  assert.deepEqual(parseAsset('USD/2'), { code: 'USD', decimals: 2 });
  assert.deepEqual(parseAsset('JPY/0'), { code: 'JPY', decimals: 0 });
  assert.deepEqual(parseAsset('COIN'), { code: 'COIN', decimals: 0 });
});

test('formatDuration', () => {
  assert.equal(formatDuration(0.5), '0.50 ms');
  assert.equal(formatDuration(12.4), '12 ms');
  assert.equal(formatDuration(1500), '1.50 s');
});
