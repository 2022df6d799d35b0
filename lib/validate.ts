// Argument checks of the options JS owns (data, pictures, the CLI) and of what only JS can see; the words the
// core's range checks use too (native/core/options/range.h): every error names the argument and what was expected.

export type Check = (value: unknown, name: string) => void;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return String(value);
}

export function typeError(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(`${name}: expected ${expected}, got ${describe(value)}`);
}

export function rangeError(name: string, expected: string, value: unknown): RangeError {
  return new RangeError(`${name}: expected ${expected}, got ${describe(value)}`);
}

export const boolean: Check = (value, name) => {
  if (typeof value !== 'boolean') throw typeError(name, 'a boolean', value);
};

export function number(min = -Infinity, max = Infinity, { minExclusive = false, maxExclusive = false } = {}): Check {
  const range = `a number in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}`;
  return (value, name) => {
    if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(name, 'a number', value);
    const below = minExclusive ? value <= min : value < min;
    const above = maxExclusive ? value >= max : value > max;
    if (below || above || !Number.isFinite(value)) throw rangeError(name, range, value);
  };
}

export function integer(min: number, max: number): Check {
  return (value, name) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(name, 'an integer', value);
    if (value < min || value > max) throw rangeError(name, `an integer from ${min} to ${max}`, value);
  };
}

/** A seed: an integer from 0 to 2^53 - 1, the range in which a JS number holds every integer exactly. */
export const seedCheck: Check = integer(0, Number.MAX_SAFE_INTEGER);

export function oneOf(...allowed: string[]): Check {
  const expected = allowed.map((item) => `'${item}'`).join(' | ');
  return (value, name) => {
    if (typeof value !== 'string') throw typeError(name, expected, value);
    if (!allowed.includes(value)) throw rangeError(name, expected, value);
  };
}

export const pattern = (regex: RegExp, expected: string): Check => (value, name) => {
  if (typeof value !== 'string' || !regex.test(value)) throw typeError(name, expected, value);
};

// Checks each present option against its schema; an unknown key is a TypeError (it is usually a typo).
export function checkOptions<T extends object>(options: unknown, name: string, schema: Record<string, Check>): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw typeError(name, 'an options object', options);
  }
  for (const [key, value] of Object.entries(options)) {
    const check = schema[key];
    if (!check) {
      throw new TypeError(`${name}.${key}: unknown option; expected one of ${Object.keys(schema).join(', ')}`);
    }
    if (value !== undefined) check(value, `${name}.${key}`);
  }
  return options as T;
}
