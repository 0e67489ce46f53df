/**
 * Edit distance with adjacent transpositions (optimal string alignment), so
 * `wohami` is one edit from `whoami`.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to what was typed, if it is close enough to be what was
 * meant: within a third of its length in edits, and at least one so that short
 * names get a suggestion too. Ties go to the earlier candidate.
 */
export function closestMatch(typed: string, candidates: readonly string[]): string | undefined {
  const word = typed.toLowerCase();
  if (!word) return undefined;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    const limit = Math.max(1, Math.floor(candidate.length / 3));
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** ` Did you mean "x"?` for the closest candidate, or an empty string. */
export function didYouMean(typed: string, candidates: readonly string[], quote = (s: string) => `"${s}"`): string {
  const match = closestMatch(typed, candidates);
  return match === undefined ? '' : ` Did you mean ${quote(match)}?`;
}
