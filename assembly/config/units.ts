// Sizes and durations as users write them in Traefik configuration.

export const KIB: i64 = 1 << 10;
export const MIB: i64 = 1 << 20;
export const GIB: i64 = 1 << 30;
export const TIB: i64 = <i64>1 << 40;

/** Bytes from "1048576", "512Ki", "64Mi", "1Gi", "1Ti" (powers of 1024) or "1K", "1M", "1G", "1T"
 *  (powers of 1000); an optional trailing "B" is accepted. -1 when invalid or above 2^53. */
export function parseSize(text: string): i64 {
  const s = text.trim();
  let i = 0;
  let value: i64 = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    value = value * 10 + <i64>(c - 0x30);
    if (value > (<i64>1 << 53)) return -1;
    i++;
  }
  if (i == 0) return -1;
  let unit = s.substring(i).trim();
  if (unit.endsWith("B") && unit.length > 1) unit = unit.substring(0, unit.length - 1);
  let multiplier: i64 = 1;
  if (unit == "" || unit == "B") multiplier = 1;
  else if (unit == "Ki") multiplier = KIB;
  else if (unit == "Mi") multiplier = MIB;
  else if (unit == "Gi") multiplier = GIB;
  else if (unit == "Ti") multiplier = TIB;
  else if (unit == "K" || unit == "k") multiplier = 1000;
  else if (unit == "M") multiplier = 1000000;
  else if (unit == "G") multiplier = 1000000000;
  else if (unit == "T") multiplier = 1000000000000;
  else return -1;
  // Checked before multiplying: the product of two large values would wrap around.
  if (value > (<i64>1 << 53) / multiplier) return -1;
  return value * multiplier;
}

/** Milliseconds from "300" (seconds), "1.5" (seconds), or a sequence such as "30s", "5m",
 *  "1h30m", "250ms", "2d". -1 when invalid. */
export function parseDuration(text: string): i64 {
  const s = text.trim();
  if (s.length == 0) return -1;
  let total: f64 = 0;
  let i = 0;
  while (i < s.length) {
    const start = i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if ((c >= 0x30 && c <= 0x39) || c == 0x2e) i++;
      else break;
    }
    if (i == start) return -1;
    const number = parseFloat(s.substring(start, i));
    if (isNaN(number)) return -1;
    const unitStart = i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if ((c >= 0x30 && c <= 0x39) || c == 0x2e) break;
      i++;
    }
    const unit = s.substring(unitStart, i);
    let millis: f64;
    if (unit == "" ) {
      if (start != 0 || i != s.length) return -1; // a bare number only on its own
      millis = 1000;
    } else if (unit == "ms") millis = 1;
    else if (unit == "s") millis = 1000;
    else if (unit == "m") millis = 60000;
    else if (unit == "h") millis = 3600000;
    else if (unit == "d") millis = 86400000;
    else return -1;
    total += number * millis;
  }
  if (!isFinite(total) || total > 9007199254740991.0) return -1;
  return <i64>Math.round(total);
}
