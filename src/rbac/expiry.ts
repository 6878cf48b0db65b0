// The break-glass expiry of a binding (annotation driftguard.io/expires-at, docs/contract.md §5): an RFC 3339 time.
// JavaScript's Date.parse is lenient where it matters here: it reads `2026-02-30` as March 2 and
// `T24:00:00` as the next midnight, so a typo would silently stretch a grant. Every field is checked
// against the calendar first, and anything that is not a valid RFC 3339 date-time is unparsable,
// which the index treats as expired.

const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** Epoch milliseconds of an RFC 3339 date-time, or NaN when `text` is not one. */
export function parseExpiry(text: string): number {
  const trimmed = text.trim();
  const match = RFC_3339.exec(trimmed);
  if (!match) return Number.NaN;
  const [year, month, day, hour, minute, second, offsetHour = 0, offsetMinute = 0] = match
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part)));
  if (year === undefined || month === undefined || day === undefined) return Number.NaN;
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    (hour ?? 99) <= 23 &&
    (minute ?? 99) <= 59 &&
    (second ?? 99) <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59;
  // With every field in range, Date.parse reads the ISO form exactly (fractions past ms are cut).
  return valid ? Date.parse(trimmed.toUpperCase()) : Number.NaN;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
