/**
 * Whether a decoded JSON value is a protocol integer: a whole number from 0
 * to 2^53 - 1, which every language's doubles hold exactly. Times (epoch ms)
 * and offsets in JSON are such integers; `1.0` and `1e3` are read by value.
 */
export function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
