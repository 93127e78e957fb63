/** "Did you mean": the nearest of some names to a misspelled one (Levenshtein distance). */

export function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/** The closest candidate to `word`, when it is close enough to be a typo (or a prefix of it). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = distance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD) [best, bestD] = [c, dist];
  }
  if (best === undefined) return undefined;
  const prefix = best.startsWith(word) || word.startsWith(best);
  return bestD <= Math.max(2, Math.floor(best.length / 3)) || (prefix && word.length >= 3) ? best : undefined;
}
