// Deep freezing for the loaded config. Object.freeze leaves a Map's or Set's entries writable, so those
// are copied with mutators that throw: a consumer cannot change the policy by accident.

function refuse(): never {
  throw new TypeError("driftguard config is frozen");
}

// The mutators are shadowed by non-enumerable own properties rather than a subclass, so the objects stay
// plain Maps and Sets to everyone else (instanceof, structural equality in tests, the core's lookups).
const MUTATORS = { set: refuse, add: refuse, delete: refuse, clear: refuse };

function lock<T extends Map<unknown, unknown> | Set<unknown>>(collection: T): T {
  for (const [name, value] of Object.entries(MUTATORS)) {
    if (name in collection) Object.defineProperty(collection, name, { value, enumerable: false });
  }
  return Object.freeze(collection);
}

/** A frozen copy of plain data (objects, arrays, Maps, Sets, primitives). */
export function deepFreeze<T>(value: T): T {
  return freezeValue(value) as T;
}

function freezeValue(value: unknown): unknown {
  if (value instanceof Map) return lock(new Map([...value].map(([key, item]) => [key, freezeValue(item)])));
  if (value instanceof Set) return lock(new Set([...value].map(freezeValue)));
  if (Array.isArray(value)) return Object.freeze(value.map(freezeValue));
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value).map(([key, item]) => [key, freezeValue(item)]);
  return Object.freeze(Object.fromEntries(entries));
}
